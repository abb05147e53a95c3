module github.com/nspidfs/nspidfs/bindings/go

go 1.19
