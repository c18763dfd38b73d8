#pragma once
// A Querier over several Queriers (blocks and the head): series with identical labels are
// merged into one, samples with equal timestamps are de-duplicated keeping the value of
// the LATER querier in the list (pass blocks oldest first and the head last), and series
// come out sorted by labels. A series found in only one querier is passed through without
// copying; a series found in several is decoded, merged and re-encoded (XOR chunks).
//
// Label names and values are the sorted union over the queriers. The first error of a
// child (a corrupt block) ends the merged SeriesSet with that status.
//
// Thread safety: as Querier (querier.h): the merged querier may be shared between threads
// if its children may; its SeriesSets belong to one thread.
#include <memory>
#include <vector>

#include "tsdb/querier.h"

namespace perfwatch::tsdb {

// `children` answer for (at least) [mint, maxt]; the merged series are clipped to it.
std::unique_ptr<Querier> NewMergeQuerier(std::vector<std::unique_ptr<Querier>> children, int64_t mint,
                                         int64_t maxt);

}  // namespace perfwatch::tsdb
