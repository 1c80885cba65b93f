//===- BackwardGraph.cpp - the work of a training step as a DAG -----------===//

#include "pareprop/Analysis/BackwardGraph.h"
#include "pareprop/Analysis/StreamSchedule.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include <algorithm>

using namespace pareprop;

unsigned BackwardGraph::addNode(WorkKind kind, int64_t block) {
  nodes.emplace_back();
  nodes.back().kind = kind;
  nodes.back().block = block;
  return nodes.size() - 1;
}

void BackwardGraph::addEdge(unsigned from, unsigned to) {
  if (from != to && !llvm::is_contained(nodes[to].deps, from))
    nodes[to].deps.push_back(from);
}

unsigned BackwardGraph::addValue(unsigned producer, int64_t bytes,
                                 llvm::ArrayRef<unsigned> readers,
                                 bool internals, bool returned) {
  values.emplace_back();
  WorkValue &v = values.back();
  v.producer = producer;
  v.bytes = bytes;
  v.internals = internals;
  v.returned = returned;
  v.readers.assign(readers.begin(), readers.end());
  for (unsigned r : readers)
    addEdge(producer, r);
  return values.size() - 1;
}

void BackwardGraph::assignCosts(const TargetDescription &target) {
  for (WorkNode &n : nodes) {
    n.seconds = target.taskSeconds(n.kernels);
    n.aloneSeconds = target.taskSeconds(n.kernels, /*alone=*/true);
    n.units = n.aloneUnits = 1;
    for (const OpWork &k : n.kernels) {
      n.units = std::max(n.units, target.unitsFor(k.elements));
      n.aloneUnits =
          std::max(n.aloneUnits, target.unitsFor(k.elements) *
                                     target.splitFor(k, /*alone=*/true));
    }
  }
}

double BackwardGraph::serialSeconds() const {
  double total = 0;
  for (const WorkNode &n : nodes)
    total += n.seconds;
  return total;
}

llvm::SmallVector<unsigned> BackwardGraph::recomputes() const {
  llvm::SmallVector<unsigned> out;
  for (unsigned i = 0; i < nodes.size(); ++i)
    if (nodes[i].kind == WorkKind::Recompute)
      out.push_back(i);
  return out;
}

static llvm::StringRef colorOf(WorkKind kind) {
  switch (kind) {
  case WorkKind::Forward:
    return "lightblue";
  case WorkKind::Recompute:
  case WorkKind::Checkpoint:
    return "orange";
  case WorkKind::Gradient:
    return "palegreen";
  case WorkKind::ParamGradient:
    return "yellowgreen";
  case WorkKind::Backprop:
    return "lightgrey";
  }
  return "white";
}

void pareprop::printDot(llvm::raw_ostream &os, const BackwardGraph &graph,
                        const StreamSchedule *schedule, llvm::StringRef name) {
  os << "digraph \"" << name << "\" {\n  rankdir=TB;\n"
     << "  node [shape=box, style=filled, fontname=\"monospace\"];\n";
  auto printNode = [&](unsigned i, llvm::StringRef indent) {
    const WorkNode &n = graph.nodes[i];
    os << indent << "n" << i << " [label=\"" << i << ": "
       << stringifyWorkKind(n.kind);
    if (n.block >= 0)
      os << " " << n.block;
    if (n.seconds > 0)
      os << llvm::format("\\n%.3g us", n.seconds * 1e6);
    os << "\", fillcolor=" << colorOf(n.kind) << "];\n";
  };
  if (schedule) {
    for (unsigned s = 0; s < schedule->numStreams; ++s) {
      os << "  subgraph cluster_stream" << s << " {\n    label=\"stream " << s
         << "\";\n";
      for (unsigned i : schedule->issueOrder)
        if (schedule->stream[i] == s)
          printNode(i, "    ");
      os << "  }\n";
    }
  } else {
    for (unsigned i = 0; i < graph.nodes.size(); ++i)
      printNode(i, "  ");
  }
  for (unsigned i = 0; i < graph.nodes.size(); ++i) {
    for (unsigned d : graph.nodes[i].deps) {
      os << "  n" << d << " -> n" << i;
      if (schedule && llvm::is_contained(schedule->waits[i], d))
        os << " [penwidth=2.5]";
      os << ";\n";
    }
  }
  if (schedule)
    for (auto [from, to] : schedule->memoryEdges) {
      os << "  n" << from << " -> n" << to << " [style=dashed, color=red";
      if (llvm::is_contained(schedule->waits[to], from))
        os << ", penwidth=2.5";
      os << "];\n";
    }
  os << "}\n";
}
