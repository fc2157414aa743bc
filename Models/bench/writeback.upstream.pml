/*
 * writeback.upstream.pml: the benchmark family Models/bench/writeback.lh under the policy
 * upstream (Models/policies/upstream.lh, with Models/lib/mm.lh and Models/lib/migrate-move.lh).
 *
 * Written by hand, as a SPIN user would model the same code, to mirror writeback.lh under
 * upstream (issue 19). It is not the output of `lockhunt export --promela`, which keeps
 * lockhunt's compiled program (one do-loop per thread, local code in C). Same verdict as
 * lockhunt's: ok (no deadlock, no violation).
 * docs/BENCH-PROMELA.md has the measurements.
 *
 *     spin -DN=4 -a writeback.upstream.pml
 *     gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c    # or without -DNOREDUCE, or with -DCOLLAPSE
 *     ./pan -m10000000
 *
 * N is the family's parameter (default 8, as in writeback.lh); sizes derive from it as there.
 *
 * The family: writeback sweeps over N dirty ext4 folios W[i] with one buffer head each:
 * flusher_all runs write_one(W[i], WB_SYNC_ALL) for i < N/2 (lock_buffer), flusher_none
 * write_one(W[i], WB_SYNC_NONE) for the rest (trylock_buffer; a busy buffer redirties and
 * skips the folio); write_one is __block_write_full_folio(): folio_lock,
 * folio_clear_dirty_for_io, lock the buffer, folio_start_writeback, folio_unlock, submit. The
 * disk completes each write in order once submitted (wait_event(submitted[W[i]]),
 * unlock_buffer, folio_end_writeback), and a compactor migrates N other, anonymous folios
 * P[i] with migrate_pages(P, MIGRATE_SYNC_LIGHT) at the same time.
 *
 * The policy: migrate_pages() since v6.3, read at v6.7. A MIGRATE_SYNC_LIGHT caller goes
 * through migrate_pages_sync(): phase A migrates the whole batch in MIGRATE_ASYNC (trylocks
 * only, NR_MAX_MIGRATE_ASYNC_RETRY = 3 passes of the unmap loop and of the move loop, then
 * migrate_folio_undo_src() for what is still unmapped); phase B takes each folio not migrated
 * alone in MIGRATE_SYNC_LIGHT (folio_lock; lock_buffer only for an uptodate buffer, else
 * -EAGAIN, up to NR_MAX_MIGRATE_SYNC_RETRY = 7 passes of the move loop).
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
 * count_vm_event() do nothing; move_to_new_folio() is resolved per folio from its static
 * mapping (anon and shmem: migrate_folio(); blkdev: buffer_migrate_folio_norefs() over its
 * one buffer head), and the return values (nr_failed, rc), which the caller drops, are not
 * kept. PG_uptodate is set on every folio and nothing clears it, and a buffer head's
 * BH_Uptodate never changes, so folio_test_uptodate() and buffer_uptodate() are constants
 * here (BH_UPTODATE(k)) rather than steps (-DLOCKHUNT_STEPS makes them steps).
 *
 * Variables (lockhunt's names on the right):
 *   locked[], wb[]                   PG_locked, PG_writeback of W[i] (i) and P[i] (N + i)
 *   dirty[i]                         PG_dirty of W[i] (initially set; P's is never used)
 *   bh_locked[i]                     BH_Lock of W[i]'s buffer head
 *   submitted[i]                     the shared submitted[W[i]]
 *   i in flusher_all, flusher_none, disk: the loop counter of the thread
 *   compactor: folio k of its batch is P[k] = N + k
 *   k, pass, retry in the migrating thread: the cursor of `for (folio in from)` (phase A) or
 *     of migrate_pages_sync()'s loop (phase B), the pass of the current loop, and the
 *     kernel's retry (a flag; a count with -DLOCKHUNT_STEPS)
 *   done[k], unmapped[k], migrated[k]: the sets done, unmap_folios and migrated, by position
 *     in the batch
 *
 * State counts. pan -DNOREDUCE and lockhunt check --reduce fold both store one state per
 * combination of the threads' resting points and the values still live there, so the two
 * counts measure the same thing; here they are equal at every N measured: no thread of this
 * family reaches a test of a constant flag, and nothing the expert model forgets (a retry
 * count above one, a restart counter) ever differs between two states. With -DLOCKHUNT_STEPS
 * this model keeps what lockhunt keeps (the constant tests as steps, retry as a count,
 * migrate_pages_sync()'s migrated set and nr_failed) and pan -DNOREDUCE stores exactly
 * lockhunt's --reduce fold states, with one transition more (pan counts its initial one):
 * checked at N = 2, 4, 6 and 8 (docs/BENCH-PROMELA.md). lockhunt --reduce none counts many
 * times more: it interleaves every local instruction too. SPIN's partial-order reduction (no
 * -DNOREDUCE) can do little here: every lock and flag is a global variable, which it treats
 * as touched by every process, so only the steps on the migrating thread's own variables are
 * reduced. -DCOLLAPSE stores the same states in less memory. For large N pan asks for
 * -DVECTORSZ (the bit arrays take a byte per element).
 */

#ifndef N
#define N 8
#endif

#if N + 2 > 255
#define INDEX short	/* a cursor over the folios */
#else
#define INDEX byte
#endif

/* Folios: W[i] is i, P[i] is N + i; the buffer head of W[i] is i. */
#define NF        (2 * N)
#define W(i)      (i)
#define BATCH_MAX N
#define LEN       N
#define FOLIO(k)  (N + (k))	/* the compactor's batch: P */
#define HAS_BH(k) 0	/* anonymous folios: migrate_folio(), no buffer heads */
#define BH(k)     0
#define BH_UPTODATE(k) 0
#define FORGET_BATCH() skip

#define NR_MAX_MIGRATE_ASYNC_RETRY 3
#define NR_MAX_MIGRATE_SYNC_RETRY  7	/* NR_MAX_MIGRATE_PAGES_RETRY - NR_MAX_MIGRATE_ASYNC_RETRY */

/*
 * -DLOCKHUNT_STEPS turns this model into lockhunt's exact state space, for checking the two
 * against each other (pan -DNOREDUCE then stores what lockhunt check --reduce fold stores):
 * folio_test_uptodate() and buffer_uptodate() become steps of their own, retry counts,
 * and migrate_pages_sync() keeps its migrated set and its nr_failed until it returns. None
 * of that changes what the threads can do.
 */
#ifdef LOCKHUNT_STEPS
#define RETRY_AGAIN()		retry++
#define FORGET_MIGRATED(k)	skip
#define LH_SYNC_FAILED()	nr_failed++
#define LH_SYNC_MIGRATED()	migrated[k] = 1
#define LH_FORGET_SYNC()	lh_forget_sync()
inline lh_forget_sync() {
	nr_failed = 0;
	k = 0;
	do :: k < LEN -> migrated[k] = 0; k++ :: else -> break od
}
#else
#define RETRY_AGAIN()		retry = 1
#define FORGET_MIGRATED(k)	migrated[k] = 0	/* not read again once the cursor has passed it */
#define LH_SYNC_FAILED()	skip
#define LH_SYNC_MIGRATED()	skip
#define LH_FORGET_SYNC()	skip
#endif

bit locked[NF];		/* PG_locked */
bit wb[NF];		/* PG_writeback */
bit dirty[N] = 1;	/* PG_dirty of W[i] (P's is never read or written) */
bit bh_locked[N];	/* BH_Lock of W[i]'s buffer head */
bit submitted[N];	/* submitted[W[i]] */

/* Kernel rules, as lockhunt checks them: breaking one is an assertion violation. */
#define folio_unlock(f)          assert(locked[f]); locked[f] = 0
#define unlock_buffer(b)         assert(bh_locked[b]); bh_locked[b] = 0
#define folio_start_writeback(f) assert(locked[f] && !wb[f]); wb[f] = 1
#define folio_end_writeback(f)   assert(wb[f]); wb[f] = 0

/* ---- migrate_pages(from, MIGRATE_SYNC_LIGHT) under upstream (Models/policies/upstream.lh) ----
 * Phase A, migrate_pages_batch(from, MIGRATE_ASYNC, NR_MAX_MIGRATE_ASYNC_RETRY): unmap loop,
 * move loop, cleanup. Phase B, migrate_pages_sync()'s fallback: each folio not migrated,
 * alone, migrate_pages_batch([folio], MIGRATE_SYNC_LIGHT, NR_MAX_MIGRATE_SYNC_RETRY).
 * The helpers below run inside the atomic of the step before them: they are the kernel's
 * local code (set membership, retry counting, the loops' bounds) up to the next visible
 * operation, and end with a goto to the label of that operation.
 */
inline a_goto_move() {
	if :: HAS_BH(k) -> goto a_move_bh :: else -> goto a_move_unlock fi
}
inline b_goto_move() {
	if :: HAS_BH(k) -> goto b_move_bh :: else -> goto b_move_unlock fi
}
/* Phase B: the next folio of from that is not in migrated (k, the sync loop's cursor) */
inline b_skip() {
	pass = 0;
	do
	:: k < LEN && migrated[k] -> FORGET_MIGRATED(k); k++
	:: else -> break
	od;
	if
	:: k < LEN -> goto b_unmap
	:: else -> LH_FORGET_SYNC(); k = 0; FORGET_BATCH(); goto end_migrated	/* return */
	fi
}
inline b_first() { k = 0; b_skip() }
inline b_next()  { k++; b_skip() }
/* Phase A: after the unmap of folio k (or its -EAGAIN), the next folio to unmap, the next
 * pass, or the move loop */
inline a_next_unmap() {
	k++;
	do :: k < LEN && (done[k] || unmapped[k]) -> k++ :: else -> break od;
	if :: k < LEN -> goto a_unmap :: else fi;
	pass++;
	if
	:: pass < NR_MAX_MIGRATE_ASYNC_RETRY && retry ->
		retry = 0; k = 0;
		do :: k < LEN && (done[k] || unmapped[k]) -> k++ :: else -> break od;
		goto a_unmap
	:: else
	fi;
	/* try_to_unmap_flush(); the move loop: done is not read again */
	k = 0;
	do :: k < LEN -> done[k] = 0; k++ :: else -> break od;
	pass = 0; retry = 0; k = 0;
	do :: k < LEN && !unmapped[k] -> k++ :: else -> break od;
	if :: k < LEN -> a_goto_move() :: else fi;
	b_first()
}
/* Phase A: after the move of folio k (or its -EAGAIN), the next folio to move, the next
 * pass, or the cleanup */
inline a_next_move() {
	k++;
	do :: k < LEN && !unmapped[k] -> k++ :: else -> break od;
	if :: k < LEN -> a_goto_move() :: else fi;
	pass++;
	if
	:: pass < NR_MAX_MIGRATE_ASYNC_RETRY && retry ->
		retry = 0; k = 0;
		do :: k < LEN && !unmapped[k] -> k++ :: else -> break od;
		a_goto_move()
	:: else
	fi;
	pass = 0; retry = 0; k = 0;
	do :: k < LEN && !unmapped[k] -> k++ :: else -> break od;
	if :: k < LEN -> goto a_undo :: else fi;
	b_first()
}


/* write_one(W[i], WB_SYNC_ALL) for i < N / 2: __block_write_full_folio() */
active proctype flusher_all() {
	INDEX i = 0;
fa_lock:
	atomic { !locked[W(i)] -> locked[W(i)] = 1 }	/* folio_lock() */
	atomic {					/* folio_clear_dirty_for_io() */
		if
		:: dirty[i] -> dirty[i] = 0
		:: else -> goto fa_clean
		fi
	}
	d_step { !bh_locked[i] -> bh_locked[i] = 1 }	/* lock_buffer() */
	d_step { folio_start_writeback(W(i)) }
	d_step { folio_unlock(W(i)) }
	atomic {					/* submit_bh(): submitted[f] = true */
		submitted[i] = 1;
		i++;
		if :: i < N / 2 -> goto fa_lock :: else -> i = 0; goto end_flushed fi
	}
fa_clean:	/* not dirty: folio_unlock(), next folio */
	atomic {
		folio_unlock(W(i));
		i++;
		if :: i < N / 2 -> goto fa_lock :: else -> i = 0; goto end_flushed fi
	}
end_flushed:	/* finished: rests here, a valid end state */
	false
}

/* write_one(W[i], WB_SYNC_NONE) for N / 2 <= i < N */
active proctype flusher_none() {
	INDEX i = N / 2;
fn_lock:
	atomic { !locked[W(i)] -> locked[W(i)] = 1 }	/* folio_lock() */
	atomic {					/* folio_clear_dirty_for_io() */
		if
		:: dirty[i] -> dirty[i] = 0
		:: else -> goto fn_clean
		fi
	}
	atomic {					/* trylock_buffer() */
		if
		:: !bh_locked[i] -> bh_locked[i] = 1
		:: else -> goto fn_redirty
		fi
	}
	d_step { folio_start_writeback(W(i)) }
	d_step { folio_unlock(W(i)) }
	atomic {					/* submit_bh(): submitted[f] = true */
		submitted[i] = 1;
		i++;
		if :: i < N -> goto fn_lock :: else -> i = 0; goto end_flushed fi
	}
fn_redirty:	/* the buffer is busy: folio_mark_dirty(), and skip the folio */
	atomic { dirty[i] = 1 }
fn_clean:	/* folio_unlock(), next folio */
	atomic {
		folio_unlock(W(i));
		i++;
		if :: i < N -> goto fn_lock :: else -> i = 0; goto end_flushed fi
	}
end_flushed:	/* finished: rests here, a valid end state */
	false
}

/* the disk: completes each write once submitted (end_buffer_async_write, end_page_writeback) */
active proctype disk() {
	INDEX i = 0;
d_wait:
	atomic { submitted[i] }			/* wait_event(submitted[W[i]]) */
	d_step { unlock_buffer(i) }
	atomic {
		folio_end_writeback(W(i));
		i++;
		if :: i < N -> goto d_wait :: else -> i = 0 fi
	}
}

/* compactor: migrate_pages(P, MIGRATE_SYNC_LIGHT) */
active proctype compactor() {
	INDEX k;	/* cursor in the batch: for (folio in from) */
	byte pass;	/* the current loop's pass */
	INDEX retry;	/* the kernel's retry: non-zero, or a count with -DLOCKHUNT_STEPS */
	bit done[BATCH_MAX], unmapped[BATCH_MAX], migrated[BATCH_MAX];	/* the sets, by position */
#ifdef LOCKHUNT_STEPS
	INDEX nr_failed;	/* migrate_pages_sync()'s */
#endif

	/* Phase A: the whole batch in MIGRATE_ASYNC (k = 0, pass = 0 to start with) */
a_unmap:	/* migrate_folio_unmap(): folio_trylock() */
	atomic {
		if
		:: !locked[FOLIO(k)] -> locked[FOLIO(k)] = 1; goto a_unmap_wb
		:: else -> RETRY_AGAIN()	/* MIGRATE_ASYNC does not wait: -EAGAIN */
		fi;
		a_next_unmap()
	}
a_unmap_wb:	/* folio_test_writeback() */
	atomic {
		if
		:: wb[FOLIO(k)] -> goto a_unmap_busy
		:: else -> unmapped[k] = 1	/* MIGRATEPAGE_UNMAP: stays locked */
		fi;
		a_next_unmap()
	}
a_unmap_busy:	/* -EBUSY (only MIGRATE_SYNC waits for writeback): folio_unlock() */
	atomic {
		folio_unlock(FOLIO(k));
		done[k] = 1;
		a_next_unmap()
	}
a_move_bh:	/* migrate_folio_move() -> move_to_new_folio() -> __buffer_migrate_folio() ->
		 * buffer_migrate_lock_buffers(): trylock_buffer() */
	atomic {
		if
		:: !bh_locked[BH(k)] -> bh_locked[BH(k)] = 1; goto a_move_bh_unlock
		:: else -> RETRY_AGAIN()	/* MIGRATE_ASYNC gives up: -EAGAIN, folio stays locked */
		fi;
		a_next_move()
	}
a_move_bh_unlock:	/* folio_migrate_mapping() succeeded: unlock_buffer() */
	atomic { unlock_buffer(BH(k)) }
a_move_unlock:	/* MIGRATEPAGE_SUCCESS: remove_migration_ptes(), folio_unlock() */
	atomic {
		folio_unlock(FOLIO(k));
		unmapped[k] = 0;
		migrated[k] = 1;
		a_next_move()
	}
a_undo:	/* still unmapped after every pass: migrate_folio_undo_src(): folio_unlock() */
	atomic {
		folio_unlock(FOLIO(k));
		unmapped[k] = 0;
		k++;
		do :: k < LEN && !unmapped[k] -> k++ :: else -> break od;
		if :: k < LEN -> goto a_undo :: else fi;
		b_first()
	}

	/* Phase B: folio k alone in MIGRATE_SYNC_LIGHT; pass counts the move loop's passes */
b_unmap:	/* migrate_folio_unmap(): folio_trylock() */
	atomic {
		if
		:: !locked[FOLIO(k)] -> locked[FOLIO(k)] = 1; goto b_unmap_wb
		:: else	/* not PF_MEMALLOC, folio uptodate: worth waiting for */
		fi
	}
#ifdef LOCKHUNT_STEPS
	atomic { skip }	/* folio_test_uptodate(): constant true */
#endif
b_lock:	/* folio_lock() */
	atomic { !locked[FOLIO(k)] -> locked[FOLIO(k)] = 1 }
b_unmap_wb:	/* folio_test_writeback() */
	atomic {
		if
		:: wb[FOLIO(k)] -> goto b_busy
		:: else -> b_goto_move()	/* MIGRATEPAGE_UNMAP */
		fi
	}
b_busy:	/* -EBUSY: folio_unlock(), given up */
	atomic {
		folio_unlock(FOLIO(k));
		LH_SYNC_FAILED();
		b_next()
	}
b_move_bh:	/* buffer_migrate_lock_buffers(): trylock_buffer() */
	atomic {
		if
		:: !bh_locked[BH(k)] -> bh_locked[BH(k)] = 1; goto b_move_bh_unlock
		:: else
		fi;
#ifdef LOCKHUNT_STEPS
		goto b_move_bh_uptodate
	}
b_move_bh_uptodate:	/* buffer_uptodate(): constant */
	atomic {
#endif
		if
		:: BH_UPTODATE(k) -> goto b_move_bh_lock	/* uptodate: wait for it */
		:: else	/* MIGRATE_SYNC_LIGHT does not wait for I/O: -EAGAIN, folio stays locked */
		fi;
		pass++;
		if
		:: pass < NR_MAX_MIGRATE_SYNC_RETRY -> goto b_move_bh	/* next pass of the move loop */
		:: else -> goto b_undo
		fi
	}
b_move_bh_lock:	/* lock_buffer() */
	atomic { !bh_locked[BH(k)] -> bh_locked[BH(k)] = 1 }
b_move_bh_unlock:	/* unlock_buffer() */
	atomic { unlock_buffer(BH(k)) }
b_move_unlock:	/* MIGRATEPAGE_SUCCESS: folio_unlock() */
	atomic {
		folio_unlock(FOLIO(k));
		LH_SYNC_MIGRATED();
		b_next()
	}
b_undo:	/* every pass failed: migrate_folio_undo_src(): folio_unlock(), given up */
	atomic {
		folio_unlock(FOLIO(k));
		LH_SYNC_FAILED();
		b_next()
	}
end_migrated:	/* finished: rests here, a valid end state */
	false
}
