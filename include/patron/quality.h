/* quality.h — the data-quality report (数据质量) over all imports, and the store overview.
 *
 * Both are JSON documents appended to a caller-owned pt_buf. The quality report holds at
 * least: rows_read, rows_accepted, rows_rejected, duplicate_orders, duplicates_removed,
 * members_created, members_merged, conflicts, filled; per source and kind the same counts and
 * the missing-value rate per field; and conflicts per field with the rule that decided.
 * No personal values appear in either.
 */
#ifndef PATRON_QUALITY_H
#define PATRON_QUALITY_H

#include "patron/buf.h"
#include "patron/db.h"

int pt_quality_json(pt_db *db, pt_buf *out);
int pt_overview_json(pt_db *db, pt_buf *out);

#endif
