package nspidfs_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/nspidfs/nspidfs/bindings/go/nspidfs"
)

// The namespace chain of the calling process, host first.
func Example() {
	me, err := nspidfs.SelfPID() // the host PID, even inside a container
	if err != nil {
		log.Fatal(err)
	}
	levels, err := nspidfs.Ancestors(me)
	if err != nil {
		log.Fatal(err)
	}
	for _, lv := range levels {
		fmt.Printf("level %d: namespace %d, PID %d, init %d\n", lv.Level, lv.NS, lv.PID, lv.Init)
	}
}

// Which host process is PID 42 of the container whose init is host PID 3244?
func ExampleHostPID() {
	ns, err := nspidfs.NSInode(3244)
	if err != nil {
		log.Fatal(err)
	}
	host, err := nspidfs.HostPID(ns, 42)
	switch {
	case errors.Is(err, nspidfs.ErrNoProcess):
		fmt.Println("no PID 42 there")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("host PID", host)
	}
}
