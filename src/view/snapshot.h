/*
 * The namespace model of the whole host, shared while it is younger than the configured
 * validity, so that a reader looping on `tree` or `ns/` costs at most one new model per
 * validity period however fast it reads. A new model reads again only the processes the
 * kernel's process events named since the last (pass.h); a full /proc pass is made when
 * there are no events, or some were lost.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nsmodel.h"

#define SNAPSHOT_DEFAULT_VALIDITY_MS 100
#define SNAPSHOT_DEFAULT_EVENTS_KIB  2048

/* events_kib: the kernel's buffer for process events between two models; 0: no events. */
void snapshot_configure(unsigned validity_ms, unsigned events_kib);
/* A reference to a model no older than the validity; NULL with *err set if /proc fails. */
struct ns_model *snapshot_get(int *err);
/*
 * After seen lacked something: a newer model if any process was created since seen's pass
 * began (so what was missed may exist now), else seen again. Bounded by the rate at which
 * processes are created, not by the rate of lookups.
 */
struct ns_model *snapshot_refresh(struct ns_model *seen, int *err);
/*
 * snapshot_get(), and if found(m, arg) does not hold there, snapshot_refresh() once: the model
 * found holds in, or the freshest one if none does (the caller says what is missing).
 */
typedef bool (*snapshot_found)(const struct ns_model *m, const void *arg);
struct ns_model *snapshot_find(snapshot_found found, const void *arg, int *err);
/* strategy_member_index (strategy.h), from the model as snapshot_find() gets it. */
int snapshot_find_member(uint64_t ns_ino, pid_t nspid, pid_t *host);
/* Full /proc passes, and updates from events, made for the shared model (the metrics). */
uint64_t snapshot_passes(void);
uint64_t snapshot_updates(void);
/* The server is stopping: the kernel need make no more process events for it. */
void snapshot_stop(void);
/* Build a model now, bypassing the shared one (tests, benchmarks). */
int snapshot_build(struct ns_model **out);
