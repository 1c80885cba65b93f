//===- TaskOrder.cpp - order and buffer lifetimes of rev.tasks ------------===//

#include "pareprop/Analysis/TaskOrder.h"

using namespace mlir;
using namespace pareprop;

TaskOrder::TaskOrder(func::FuncOp step) {
  for (rev::TaskOp t : step.getBody().front().getOps<rev::TaskOp>()) {
    taskIndex[t] = taskList.size();
    taskList.push_back(t);
  }
  unsigned n = taskList.size();
  predecessors.assign(n, llvm::BitVector(n));
  DenseMap<int64_t, unsigned> lastOfStream;
  for (unsigned i = 0; i < n; ++i) {
    auto addPredecessor = [&](unsigned p) {
      predecessors[i] |= predecessors[p];
      predecessors[i].set(p);
    };
    auto it = lastOfStream.find(taskList[i].getStream());
    if (it != lastOfStream.end())
      addPredecessor(it->second);
    for (Value token : taskList[i].getAfter())
      addPredecessor(taskIndex.lookup(token.getDefiningOp()));
    lastOfStream[taskList[i].getStream()] = i;
  }
}

llvm::MapVector<Value, int> TaskOrder::planFrees() const {
  llvm::MapVector<Value, int> freedBy;
  for (unsigned i = 0; i < taskList.size(); ++i) {
    rev::TaskOp task = taskList[i];
    for (Value r : task.getResults()) {
      if (!isa<RankedTensorType>(r.getType()))
        continue; // Scalars need no freeing.
      SmallVector<unsigned> readers;
      bool escapes = false;
      for (Operation *user : r.getUsers()) {
        auto reader = user->getParentOfType<rev::TaskOp>();
        if (!reader) {
          escapes = true;
          continue;
        }
        readers.push_back(taskIndex.lookup(reader));
      }
      if (escapes)
        continue; // Returned: the caller owns it.
      if (readers.empty()) {
        freedBy[r] = i;
        continue;
      }
      int freer = -1;
      for (unsigned d = i + 1; d < taskList.size() && freer < 0; ++d)
        if (llvm::all_of(readers, [&](unsigned u) {
              return u == d || happensBefore(u, d);
            }))
          freer = d;
      freedBy[r] = freer;
    }
  }
  return freedBy;
}
