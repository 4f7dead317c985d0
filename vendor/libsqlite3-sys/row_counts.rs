//! @edgebase/native addition: per-statement row counters, the numbers Cloudflare D1 reports as
//! `meta.rows_read` / `meta.rows_written` (and a cheap page count for `meta.size_after`).
//!
//! Cloudflare's runtime builds SQLite with two extra `sqlite3_stmt_status()` counters (operation
//! codes 1025 = rows read, 1026 = rows written) that the VDBE bumps whenever a cursor lands on a
//! row (seek, rowid lookup, rewind, last, next, virtual-table next; an exact `count(*)` adds the
//! table's size) and whenever a row of a real (non-ephemeral) b-tree is inserted, deleted or
//! cleared. Stock SQLite has no such counters, so this build step inserts them into the
//! amalgamation before it is compiled. Each edit is anchored on text that must occur exactly once
//! (`@@` marks the insertion point); an SQLite upgrade that moves the code fails the build instead
//! of silently miscounting.

use std::path::{Path, PathBuf};

const EDITS: &[(&str, &str)] = &[
  // The counters live next to SQLite's own statement counters, so they are zeroed with them.
  (
    "  u32 aCounter[9];        /* Counters used by sqlite3_stmt_status() */\n@@",
    "  u32 aEdgebaseRows[2];    /* @edgebase: rows read, rows written */\n",
  ),
  // sqlite3_stmt_status(): accept 1025/1026 past SQLITE_ENABLE_API_ARMOR's range check ...
  (
    "   || (op!=SQLITE_STMTSTATUS_MEMUSED && (op<0||op>=ArraySize(pVdbe->aCounter)))\n@@",
    "   && op!=1025 && op!=1026\n",
  ),
  // ... and serve them.
  (
    "@@  if( op==SQLITE_STMTSTATUS_MEMUSED ){\n    sqlite3 *db = pVdbe->db;\n",
    "  if( op==1025 || op==1026 ){\n    v = pVdbe->aEdgebaseRows[op-1025];\n    if( resetFlag ) pVdbe->aEdgebaseRows[op-1025] = 0;\n    return (int)v;\n  }\n",
  ),
  // OP_Count: an exact count(*) reads every row of the b-tree.
  (
    "    rc = sqlite3BtreeCount(db, pCrsr, &nEntry);\n@@",
    "    p->aEdgebaseRows[0] += (u32)nEntry;\n",
  ),
  // OP_SeekGE/GT/LE/LT: every seek but an equality-only miss.
  (
    "    if( eqOnly && r.eqSeen==0 ){\n      assert( res!=0 );\n      goto seek_not_found;\n    }\n  }\n@@",
    "  p->aEdgebaseRows[0]++;\n",
  ),
  // OP_NotExists / OP_SeekRowid: a rowid lookup, found or not.
  (
    "  VdbeBranchTaken(res!=0,2);\n  pC->seekResult = res;\n@@  if( res!=0 ){\n",
    "  p->aEdgebaseRows[0]++;\n",
  ),
  // OP_Insert into a table.
  (
    "@@  if( pOp->p5 & OPFLAG_NCHANGE ){\n    p->nChange++;\n    if( pOp->p5 & OPFLAG_LASTROWID ) db->lastRowid = x.nKey;\n",
    "  if( !pC->isEphemeral ) p->aEdgebaseRows[1]++;\n",
  ),
  // OP_Delete of a counted row.
  (
    "  if( opflags & OPFLAG_NCHANGE ){\n@@    p->nChange++;\n",
    "    if( !pC->isEphemeral ) p->aEdgebaseRows[1]++;\n",
  ),
  // OP_Last.
  (
    "  rc = sqlite3BtreeLast(pCrsr, &res);\n  pC->nullRow = (u8)res;\n  pC->deferredMoveto = 0;\n  pC->cacheStatus = CACHE_STALE;\n  if( rc ) goto abort_due_to_error;\n@@",
    "  p->aEdgebaseRows[0]++;\n",
  ),
  // OP_Rewind (tables, indexes and sorters alike), empty or not.
  (
    "  if( rc ) goto abort_due_to_error;\n  pC->nullRow = (u8)res;\n@@  if( pOp->p2>0 ){\n",
    "  p->aEdgebaseRows[0]++;\n",
  ),
  // OP_Next / OP_Prev that found another row.
  (
    "  if( rc==SQLITE_OK ){\n    pC->nullRow = 0;\n    p->aCounter[pOp->p5]++;\n@@",
    "    p->aEdgebaseRows[0]++;\n",
  ),
  // OP_IdxInsert into a real index.
  (
    "  if( pOp->p5 & OPFLAG_NCHANGE ) p->nChange++;\n@@  assert( pC->eCurType==CURTYPE_BTREE );\n  assert( pC->isTable==0 );\n",
    "  if( !pC->isEphemeral ) p->aEdgebaseRows[1]++;\n",
  ),
  // OP_Clear (DELETE without WHERE): every removed row counts.
  (
    "  if( pOp->p3 ){\n    p->nChange += nChange;\n@@",
    "    p->aEdgebaseRows[1] += (u32)nChange;\n",
  ),
  // OP_VNext.
  (
    "  rc = pModule->xNext(pCur->uc.pVCur);\n  sqlite3VtabImportErrmsg(p, pVtab);\n  if( rc ) goto abort_due_to_error;\n@@",
    "  p->aEdgebaseRows[0]++;\n",
  ),
  // D1 also reports the database size after every statement: file-control op 1027 reads the
  // page count the b-tree already tracks (a `PRAGMA page_count` would be compiled every time).
  (
    "    }else if( op==SQLITE_FCNTL_DATA_VERSION ){\n      *(unsigned int*)pArg = sqlite3PagerDataVersion(pPager);\n      rc = SQLITE_OK;\n@@",
    "    }else if( op==1027 ){\n      *(unsigned int*)pArg = (unsigned int)sqlite3BtreeLastPage(pBtree);\n      rc = SQLITE_OK;\n",
  ),
  // OP_VUpdate that changed a row.
  (
    "    }else{\n@@      p->nChange++;\n    }\n    if( rc ) goto abort_due_to_error;\n  }\n",
    "      p->aEdgebaseRows[1]++;\n",
  ),
];

/// Writes the instrumented amalgamation to `out_dir` and returns its path.
pub fn patch(source: &Path, out_dir: &str) -> PathBuf {
  let pristine = std::fs::read_to_string(source).expect("row_counts: read sqlite3.c");
  let mut inserts: Vec<(usize, &str)> = EDITS
    .iter()
    .map(|(marked, text)| {
      let split = marked.find("@@").expect("row_counts: anchor without insertion mark");
      let anchor = marked.replacen("@@", "", 1);
      let mut found = pristine.match_indices(anchor.as_str());
      let (at, _) = found
        .next()
        .unwrap_or_else(|| panic!("row_counts: anchor not found in sqlite3.c:\n{anchor}"));
      assert!(found.next().is_none(), "row_counts: anchor occurs twice in sqlite3.c:\n{anchor}");
      (at + split, *text)
    })
    .collect();
  // Apply back to front so earlier positions stay valid.
  inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
  let mut src = pristine;
  for (at, text) in inserts {
    src.insert_str(at, text);
  }
  let out = Path::new(out_dir).join("sqlite3-rowcounts.c");
  std::fs::write(&out, src).expect("row_counts: write instrumented sqlite3.c");
  out
}
