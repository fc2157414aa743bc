/*
 * writers.v5.pml: the benchmark family Models/bench/writers.lh under the policy
 * v5 (Models/policies/v5.lh, with Models/lib/mm.lh and Models/lib/migrate-move.lh).
 *
 * Written by hand, as a SPIN user would model the same code, to mirror writers.lh under
 * v5 (issue 19). It is not the output of `lockhunt export --promela`, which keeps
 * lockhunt's compiled program (one do-loop per thread, local code in C). Same verdict as
 * lockhunt's: ok (no deadlock, no violation).
 * docs/BENCH-PROMELA.md has the measurements.
 *
 *     spin -DN=4 -a writers.v5.pml
 *     gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c    # or without -DNOREDUCE, or with -DCOLLAPSE
 *     ./pan -m10000000
 *
 * N is the family's parameter (default 4, as in writers.lh); sizes derive from it as there.
 *
 * The family: N writer tasks writer[i], each dirtying a data folio D[i] of its own under the
 * journal's buffer lock (folio_lock(D[i]), lock_buffer(J's bh), folio_mark_dirty(D[i]),
 * unlock_buffer, folio_unlock), then writing D[i] back (folio_lock,
 * folio_clear_dirty_for_io, folio_start_writeback, folio_unlock, folio_end_writeback);
 * kcompactd migrates the journal's block-device folio J (one buffer head, not uptodate) with
 * migrate_pages([J], MIGRATE_SYNC_LIGHT) meanwhile.
 *
 * The policy: the batched migrate_pages() of Huang Ying's series, v5 (next-20230217): one
 * migrate_pages_batch(from, MIGRATE_SYNC_LIGHT, NR_MAX_MIGRATE_PAGES_RETRY = 10) that unmaps
 * (and keeps locked) every folio of the batch, then moves them; passes 0-2 only trylock,
 * later passes wait in folio_lock() unless a folio is already held (avoid_force_lock), in
 * which case -EDEADLOCK moves and unlocks what is held and starts over. The move waits in
 * lock_buffer() (v6.2-v6.4 buffer_migrate_lock_buffers()) while the batch holds its folios.
 *
 * How lockhunt's semantics (docs/LANGUAGE.md, "What a step is") are kept:
 * - A lockhunt step is one visible operation (a lock call, a flag test or change, a read or
 *   write of a shared variable, a wait_event, an either) and the local code folded after it.
 *   Here each step is one atomic sequence (a d_step where no jump enters or leaves it): the
 *   operation first, a blocking one as the guard (atomic { !locked[f] -> locked[f] = 1 }),
 *   a trylock as if :: !locked[f] -> locked[f] = 1 ... :: else ... fi; then the kernel's
 *   local code up to the next visible operation, ending in a goto to that operation's
 *   label. pan stores no state inside an atomic sequence and SPIN removes the gotos, so a
 *   process rests only in front of a visible operation or at its end, exactly where a
 *   lockhunt thread rests; there is no dispatch loop. The loops over the batch are the
 *   counters k and pass, advanced inside the atomic of the step before.
 * - Violations are assertion violations, checked where lockhunt checks them: folio_unlock()
 *   or unlock_buffer() of a lock not held, folio_start_writeback() without the folio lock or
 *   under writeback, folio_end_writeback() without writeback.
 * - A deadlock is pan's invalid end state. A finished thread rests in a valid end state: at
 *   the closing brace, or, where a thread can finish in several places, at an end_ label on
 *   `false`. No process ever terminates (the migrating thread, created last, never does), so
 *   pan never stores the states of processes being removed. Every thread ends after
 *   finitely many steps, so a set of threads that can never be woken stays blocked until
 *   nothing moves: an invalid end state exists exactly when lockhunt finds a deadlock
 *   (lockhunt reports it as soon as it forms, pan once everything has stopped).
 *
 * What is left out, because it cannot change anything in this family (all of it is local
 * code or a constant in lockhunt's model as well): current->flags is 0 (no PF_MEMALLOC);
 * folio_has_extra_refs() is false (Models/lib/mm.lh), so folio_migrate_mapping() succeeds;
 * try_to_migrate(), remove_migration_ptes(), try_to_unmap_flush(), folio_migrate_copy() and
 * migrate_give_up() do nothing; move_to_new_folio() is resolved per folio from its static
 * mapping (anon and shmem: migrate_folio(); blkdev: buffer_migrate_folio_norefs() over its
 * one buffer head), and the return values (nr_failed, rc), which the caller drops, are not
 * kept. In MIGRATE_SYNC_LIGHT nothing in the move loop returns -EAGAIN here, so it takes one
 * pass and the cleanup after it finds nothing; and the restart loop's bound (restart <=
 * len(from)) is never reached, since every restart follows a round that unmapped, then
 * moved for good, at least one folio.
 *
 * Variables (lockhunt's names on the right):
 *   locked[], wb[]                   PG_locked, PG_writeback of J (0) and D[i] (1 + i)
 *   dirty[i]                         PG_dirty of D[i]
 *   bh_locked[0]                     BH_Lock of J's buffer head
 *   writer (pids 0 .. N-1)           writer[i], i = _pid; kcompactd's batch is [J]
 *   k, pass, retry in the migrating thread: the cursor of `for (folio in from)`, the unmap
 *     loop's pass (force = pass > 2) and the kernel's retry (a flag; a count with
 *     -DLOCKHUNT_STEPS); avoid and rc_saved: avoid_force_lock and rc_saved == -EDEADLOCK
 *   done[k], unmapped[k]: the sets done and unmap_folios, by position in the batch
 *
 * State counts. pan -DNOREDUCE and lockhunt check --reduce fold both store one state per
 * combination of the threads' resting points and the values still live there, so the two
 * counts measure the same thing; here they are equal at every N measured: no thread of this
 * family reaches a test of a constant flag, and nothing the expert model forgets (a retry
 * count above one, a restart counter) ever differs between two states. With -DLOCKHUNT_STEPS
 * this model keeps what lockhunt keeps (retry as a count, the restart counter) and pan
 * -DNOREDUCE stores exactly lockhunt's --reduce fold states (over the whole space: pan -E
 * and lockhunt --all where there is a deadlock), with one transition more (pan counts its
 * initial one): checked at N = 2, 4 and 6 (N = 8 takes both tools over a minute)
 * (docs/BENCH-PROMELA.md). lockhunt --reduce none counts many times more: it interleaves
 * every local instruction too. SPIN's partial-order reduction (no -DNOREDUCE) can do little
 * here: every lock and flag is a global variable, which it treats as touched by every
 * process, so only the steps on the migrating thread's own variables are reduced. -DCOLLAPSE
 * stores the same states in less memory. For large N pan asks for -DVECTORSZ (the bit arrays
 * take a byte per element).
 */

#ifndef N
#define N 4
#endif

#if N + 2 > 255
#define INDEX short	/* a cursor over the folios */
#else
#define INDEX byte
#endif

/* Folios: J is 0, D[i] is 1 + i; J's buffer head is buffer head 0 (D's are never used). */
#define NF        (N + 1)
#define J         0
#define D         (1 + _pid)	/* writer[_pid]'s folio */
#define BATCH_MAX 1
#define LEN       1
#define FOLIO(k)  J	/* kcompactd's batch: [J] */
#define HAS_BH(k) 1	/* blkdev: buffer_migrate_folio_norefs() */
#define BH(k)     0
#define BH_UPTODATE(k) 0	/* J's buffer head is not uptodate, and nothing sets it */
#define FORGET_BATCH() skip

#define NR_MAX_MIGRATE_PAGES_RETRY 10

/*
 * -DLOCKHUNT_STEPS turns this model into lockhunt's exact state space, for checking the two
 * against each other (pan -DNOREDUCE then stores what lockhunt check --reduce fold stores):
 * retry counts, and the restart loop keeps its counter. Neither changes what the threads
 * can do.
 */
#ifdef LOCKHUNT_STEPS
#define RETRY_AGAIN()		retry++
#define LH_RESTART_INC()	restart++
#define LH_RESTART_RESET()	restart = 0
#else
#define RETRY_AGAIN()		retry = 1
#define LH_RESTART_INC()	skip
#define LH_RESTART_RESET()	skip
#endif

bit locked[NF];		/* PG_locked */
bit wb[NF];		/* PG_writeback */
bit dirty[N];		/* PG_dirty of D[i] (J's is never read or written) */
bit bh_locked[1];	/* BH_Lock of J's buffer head */

/* Kernel rules, as lockhunt checks them: breaking one is an assertion violation. */
#define folio_unlock(f)          assert(locked[f]); locked[f] = 0
#define unlock_buffer(b)         assert(bh_locked[b]); bh_locked[b] = 0
#define folio_start_writeback(f) assert(locked[f] && !wb[f]); wb[f] = 1
#define folio_end_writeback(f)   assert(wb[f]); wb[f] = 0

/* ---- migrate_pages(from, MIGRATE_SYNC_LIGHT) under v5 (Models/policies/v5.lh) ----
 * migrate_pages_batch(from, MIGRATE_SYNC_LIGHT, NR_MAX_MIGRATE_PAGES_RETRY): the restart
 * loop around an unmap loop (force = pass > 2, avoid_force_lock), a move loop and the
 * cleanup. The helpers below run inside the atomic of the step before them: they are the
 * kernel's local code up to the next visible operation, and end with a goto to it.
 *
 * Two simplifications, both exact for MIGRATE_SYNC_LIGHT on these batches:
 * - the move loop never sees -EAGAIN (migrate_folio() and the blocking
 *   buffer_migrate_lock_buffers() of v6.2-v6.4 always succeed here), so it takes one pass
 *   and the cleanup after it finds nothing;
 * - the restart loop's bound (restart <= len(from)) is never reached: a restart follows
 *   -EDEADLOCK, which needs avoid_force_lock, so that round unmapped and then moved at
 *   least one folio for good; the counter is kept only with -DLOCKHUNT_STEPS.
 */
inline v_goto_move() {
	if :: HAS_BH(k) -> goto v_move_bh :: else -> goto v_move_unlock fi
}
/* the end of a round: start over after -EDEADLOCK, else return */
inline v_round_end() {
	if
	:: rc_saved ->	/* "we have unlocked all locked folios, so we can force lock now" */
		LH_RESTART_INC();
		rc_saved = 0; avoid = 0; pass = 0; retry = 0; k = 0;
		do :: k < LEN && done[k] -> k++ :: else -> break od;
		if :: k < LEN -> goto v_unmap :: else fi
	:: else
	fi;
	k = 0;
	do :: k < LEN -> done[k] = 0; k++ :: else -> break od;
	k = 0; avoid = 0; pass = 0; retry = 0; LH_RESTART_RESET(); FORGET_BATCH();
	goto end_migrated	/* migrate_pages() returns */
}
/* move: try_to_unmap_flush(), then migrate_folio_move() of each unmapped folio in order */
inline v_move_start() {
	avoid = 0; pass = 0; retry = 0; k = 0;
	do :: k < LEN && !unmapped[k] -> k++ :: else -> break od;
	if :: k < LEN -> v_goto_move() :: else fi;
	v_round_end()
}
/* after the unmap of folio k (or its -EAGAIN): the next folio, the next pass, or the move */
inline v_next_unmap() {
	k++;
	do :: k < LEN && (done[k] || unmapped[k]) -> k++ :: else -> break od;
	if :: k < LEN -> goto v_unmap :: else fi;
	pass++;
	if
	:: pass < NR_MAX_MIGRATE_PAGES_RETRY && retry ->
		retry = 0; k = 0;
		do :: k < LEN && (done[k] || unmapped[k]) -> k++ :: else -> break od;
		goto v_unmap
	:: else
	fi;
	v_move_start()
}


/* writer[i]: dirty D[i] under the journal's buffer lock, then write D[i] back */
active [N] proctype writer() {
	d_step { !locked[D] -> locked[D] = 1 }		/* folio_lock(D[i]) */
	d_step { !bh_locked[0] -> bh_locked[0] = 1 }	/* lock_buffer(J's bh) */
	d_step { dirty[_pid] = 1 }			/* folio_mark_dirty(D[i]) */
	d_step { unlock_buffer(0) }
	d_step { folio_unlock(D) }
	d_step { !locked[D] -> locked[D] = 1 }		/* folio_lock(D[i]) */
	atomic {					/* folio_clear_dirty_for_io(D[i]) */
		if
		:: dirty[_pid] -> dirty[_pid] = 0
		:: else -> goto w_clean
		fi
	}
	d_step { folio_start_writeback(D) }
	d_step { folio_unlock(D) }
	atomic { folio_end_writeback(D); goto end_written }
w_clean:
	atomic { folio_unlock(D) }
end_written:	/* finished: rests here, a valid end state */
	false
}

/* kcompactd: migrate_pages([J], MIGRATE_SYNC_LIGHT) */
active proctype kcompactd() {
	INDEX k;	/* cursor in the batch: for (folio in from) */
	byte pass;	/* the unmap loop's pass: force = pass > 2 */
	INDEX retry;	/* the kernel's retry: non-zero, or a count with -DLOCKHUNT_STEPS */
	bit avoid;	/* avoid_force_lock */
	bit rc_saved;	/* rc_saved == -EDEADLOCK */
	bit done[BATCH_MAX], unmapped[BATCH_MAX];	/* the sets, by position */
#ifdef LOCKHUNT_STEPS
	INDEX restart;
#endif

	/* the first round: k = 0, pass = 0 to start with */
v_unmap:	/* migrate_folio_unmap(folio k, force = pass > 2, avoid_force_lock): folio_trylock() */
	atomic {
		if
		:: !locked[FOLIO(k)] -> locked[FOLIO(k)] = 1; goto v_unmap_wb
		:: else
		fi;
		if
		:: pass <= 2 -> RETRY_AGAIN(); v_next_unmap()	/* !force: -EAGAIN */
		:: pass > 2 && avoid -> rc_saved = 1; v_move_start()	/* -EDEADLOCK: goto move */
		:: pass > 2 && !avoid	/* force, nothing held: wait for the lock */
		fi
	}
v_lock:	/* folio_lock() */
	atomic { !locked[FOLIO(k)] -> locked[FOLIO(k)] = 1 }
v_unmap_wb:	/* folio_test_writeback() */
	atomic {
		if
		:: wb[FOLIO(k)] -> goto v_unmap_busy
		:: else -> avoid = 1; unmapped[k] = 1	/* MIGRATEPAGE_UNMAP: stays locked */
		fi;
		v_next_unmap()
	}
v_unmap_busy:	/* -EBUSY (only MIGRATE_SYNC waits for writeback): folio_unlock() */
	atomic {
		folio_unlock(FOLIO(k));
		done[k] = 1;
		v_next_unmap()
	}
v_move_bh:	/* migrate_folio_move() -> move_to_new_folio() -> __buffer_migrate_folio() ->
		 * buffer_migrate_lock_buffers(), not MIGRATE_ASYNC: lock_buffer() */
	atomic { !bh_locked[BH(k)] -> bh_locked[BH(k)] = 1 }
v_move_bh_unlock:	/* folio_migrate_mapping() succeeded: unlock_buffer() */
	atomic { unlock_buffer(BH(k)) }
v_move_unlock:	/* MIGRATEPAGE_SUCCESS: remove_migration_ptes(), folio_unlock() */
	atomic {
		folio_unlock(FOLIO(k));
		unmapped[k] = 0;
		done[k] = 1;
		k++;
		do :: k < LEN && !unmapped[k] -> k++ :: else -> break od;
		if :: k < LEN -> v_goto_move() :: else fi;
		v_round_end()
	}
end_migrated:	/* finished: rests here, a valid end state */
	false
}
