// Group commit for real mode: many core commits, one SQLite transaction (one fsync), and the
// fsync off the event loop's thread.
//
// SqliteStore syncs the WAL on every commit, so one commit per webhook caps the server at the
// disk's fsync rate (a few hundred to a few thousand per second). The core, though, commits one
// small batch per webhook and must not know about batching (nothing in src/core changes for
// real mode). This wrapper sits between the core and the durable store.
//
// Layers. Writes the core commits land in in-memory overlay layers, oldest first:
//
//   sealed layers  handed to a Committer (committer.h) that makes them durable, in order, while
//                  the event loop goes on serving (real mode: on the writer thread);
//   the open layer takes every new commit() until it is sealed.
//
//   commit(batch)  records the batch in the open layer (opening one if needed) and returns ok at
//                  once; the commit that opens a layer calls `on_first_pending` (the driver then
//                  seals it at the end of the turn, or when the flush in flight completes).
//   get / scan     read the newest layer over the older ones over the durable store, so the core
//                  reads its own writes (a duplicate webhook is seen as one, whether its first
//                  delivery's row is in the open layer, in one being flushed, or durable).
//   seal()         closes the open layer and returns its final state as ONE batch to commit.
//   retire(id)     the oldest sealed layer is durable: drop it (reads fall through to durable;
//                  the reader must see that commit by then, see SqliteStore::release_snapshot).
//   discard()      forgets every layer (after a failed flush: the later layers may hold effects
//                  of reads of the failed one's writes, so they go too).
//   flush()        seal + durable->commit + retire, on this thread (tests, simple drivers).
//
// The core believes its batch committed before it is durable, so the driver must not let
// anything leave the process that depends on it until its layer is durable: every HTTP response
// and outbound request made while a layer exists is tagged with the newest layer (it may depend
// on any of them) and held until that layer is retired (core_service.h). If a flush fails, the
// held responses become 500 (the peers redeliver), the held requests are dropped, and the core
// object is rebuilt on the durable store with recover(): its memory may hold effects that never
// became durable.
//
// Atomicity: the core's batches are all-or-nothing each; a flush applies a layer's batches in
// one transaction, which is stronger (all of the layer's batches, or none). Layers become
// durable in order, so what is durable is always a prefix of what the core committed.
//
// Not thread-safe: one thread, like the core. Only the Committer's commit runs elsewhere, on
// the batch seal() returned (a copy), never on this object.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "src/core/ports.h"

namespace intsim::server {

class GroupCommitStore final : public core::Store {
 public:
  // `durable` outlives this object; reads that miss every layer go to it. `on_first_pending`
  // runs inside the commit() that opens a layer; it must not call back into the store.
  GroupCommitStore(core::Store* durable, std::function<void()> on_first_pending);

  core::Status get(std::string_view table, std::string_view key, std::string* value) override;
  core::Status scan(
      std::string_view table, std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) override;
  // Never fails: the batch goes to the open layer.
  core::Status commit(const core::WriteBatch& batch) override;

  // Whether some committed batch is not durable yet (some layer exists).
  bool pending() const { return !layers_.empty(); }
  // Batches in every layer, sealed or open.
  std::size_t batches_pending() const;
  // Batches in the open layer (0 when none is open).
  std::size_t batches_open() const;
  // Sealed layers not yet retired.
  std::size_t layers_sealed() const;
  // The id of the newest layer, which everything read or written now may depend on; 0 when
  // every committed batch is durable. Ids grow by one per layer, from 1.
  std::uint64_t newest_layer() const { return layers_.empty() ? 0 : layers_.back().id; }

  // Closes the open layer (which must have batches), writes its final state into `out` (which
  // must be empty) and returns its id. Later commits open a new layer.
  std::uint64_t seal(core::WriteBatch* out);
  // The oldest sealed layer, `id`, is durable.
  void retire(std::uint64_t id);
  // Forgets every layer.
  void discard();

  // Makes the open layer durable through `durable` on this thread, in one commit. Requires no
  // sealed layer. On error nothing of it is durable and the layer stays (sealed): discard().
  core::Status flush();

  std::uint64_t flushes() const { return flushes_; }
  std::uint64_t batches_flushed() const { return batches_flushed_; }

 private:
  using Rows = std::map<std::string, std::optional<std::string>, std::less<>>;  // nullopt: erased
  struct Layer {
    std::uint64_t id = 0;
    bool sealed = false;
    std::size_t batches = 0;
    std::map<std::string, Rows, std::less<>> tables;  // table -> key -> final value
  };

  core::Store* durable_;
  std::function<void()> on_first_pending_;
  std::deque<Layer> layers_;  // oldest first; only the back one may be open
  std::uint64_t layer_id_next_ = 1;
  std::uint64_t flushes_ = 0;
  std::uint64_t batches_flushed_ = 0;
};

}  // namespace intsim::server
