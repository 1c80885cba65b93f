//===- StreamSchedule.cpp - assigning a training step's work to streams ---===//

#include "pareprop/Analysis/StreamSchedule.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>

using namespace pareprop;
using llvm::SmallVector;

std::string SchedulePolicy::str() const {
  std::string out = stringifyPolicyKind(kind).str();
  if (kind == PolicyKind::PaReprop && lookahead != 1)
    out += llvm::formatv("(lookahead={0})", lookahead).str();
  if (kind == PolicyKind::List)
    out += lookahead == 1
               ? llvm::formatv("(streams={0})", streams).str()
               : llvm::formatv("(streams={0}, lookahead={1})", streams,
                               lookahead)
                     .str();
  return out;
}

//===----------------------------------------------------------------------===//
// Assignment
//===----------------------------------------------------------------------===//

namespace {

void initSchedule(const BackwardGraph &graph, const SchedulePolicy &policy,
                  StreamSchedule &s) {
  unsigned n = graph.nodes.size();
  s.policy = policy;
  s.stream.assign(n, 0);
  s.deps.resize(n);
  for (unsigned i = 0; i < n; ++i)
    s.deps[i].assign(graph.nodes[i].deps.begin(), graph.nodes[i].deps.end());
  s.memoryEdges.clear();
  s.issueOrder.resize(n);
  std::iota(s.issueOrder.begin(), s.issueOrder.end(), 0u);
}

/// Recompute j starts only after every reader of the internals of recompute
/// j - (lookahead + 1) finished, and after the parameter-gradient nodes of
/// that block (op granularity: they hold the values cut from its gradient),
/// so at most lookahead + 1 blocks' internals are alive at once.
void addMemoryWindow(const BackwardGraph &graph, unsigned lookahead,
                     StreamSchedule &s) {
  unsigned window = lookahead + 1;
  SmallVector<unsigned> recomputes = graph.recomputes();
  if (recomputes.size() <= window)
    return;
  std::vector<SmallVector<unsigned, 4>> internalReaders(graph.nodes.size());
  for (const WorkValue &v : graph.values)
    if (v.internals)
      for (unsigned r : v.readers)
        if (!llvm::is_contained(internalReaders[v.producer], r))
          internalReaders[v.producer].push_back(r);
  llvm::DenseMap<int64_t, SmallVector<unsigned, 2>> paramGradsOfBlock;
  for (auto [i, node] : llvm::enumerate(graph.nodes))
    if (node.kind == WorkKind::ParamGradient && node.block >= 0)
      paramGradsOfBlock[node.block].push_back(i);
  for (unsigned r : recomputes)
    if (int64_t block = graph.nodes[r].block; block >= 0)
      for (unsigned p : paramGradsOfBlock.lookup(block))
        if (!llvm::is_contained(internalReaders[r], p))
          internalReaders[r].push_back(p);
  for (unsigned j = window; j < recomputes.size(); ++j) {
    unsigned freed = recomputes[j - window], r = recomputes[j];
    for (unsigned reader : internalReaders[freed]) {
      // Readers later in program order than r cannot come before it.
      if (reader >= r || llvm::is_contained(s.deps[r], reader))
        continue;
      s.deps[r].push_back(reader);
      s.memoryEdges.emplace_back(reader, r);
    }
  }
}

/// List scheduling: nodes by decreasing bottom level (longest remaining path
/// to the end), each on the stream where it can start first; ties go to the
/// stream of its latest dependency, which needs no synchronization.
void assignList(const BackwardGraph &graph, StreamSchedule &s) {
  unsigned n = graph.nodes.size(), numStreams = s.numStreams;
  std::vector<SmallVector<unsigned, 4>> succ(n);
  std::vector<unsigned> pending(n, 0);
  for (unsigned i = 0; i < n; ++i) {
    pending[i] = s.deps[i].size();
    for (unsigned d : s.deps[i])
      succ[d].push_back(i);
  }
  std::vector<double> bottom(n, 0);
  for (unsigned i = n; i-- > 0;) {
    double longest = 0;
    for (unsigned c : succ[i])
      longest = std::max(longest, bottom[c]);
    bottom[i] = graph.nodes[i].seconds + longest;
  }
  auto lower = [&](unsigned a, unsigned b) {
    // Max-heap on bottom level; earlier program order first among equals.
    if (bottom[a] != bottom[b])
      return bottom[a] < bottom[b];
    return a > b;
  };
  std::priority_queue<unsigned, std::vector<unsigned>, decltype(lower)> ready(
      lower);
  for (unsigned i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.push(i);
  std::vector<double> streamFree(numStreams, 0.0), finish(n, 0.0);
  s.issueOrder.clear();
  while (!ready.empty()) {
    unsigned i = ready.top();
    ready.pop();
    double dataReady = 0;
    int latestDep = -1;
    for (unsigned d : s.deps[i])
      if (finish[d] >= dataReady) {
        dataReady = finish[d];
        latestDep = d;
      }
    unsigned best = 0;
    double bestStart = INFINITY;
    for (unsigned st = 0; st < numStreams; ++st) {
      double start = std::max(streamFree[st], dataReady);
      bool preferred = latestDep >= 0 && s.stream[latestDep] == st;
      if (start < bestStart - 1e-12 ||
          (std::fabs(start - bestStart) <= 1e-12 && preferred)) {
        best = st;
        bestStart = start;
      }
    }
    s.stream[i] = best;
    finish[i] = bestStart + std::max(graph.nodes[i].seconds, 1e-12);
    streamFree[best] = finish[i];
    s.issueOrder.push_back(i);
    for (unsigned c : succ[i])
      if (--pending[c] == 0)
        ready.push(c);
  }
}

} // namespace

StreamSchedule pareprop::scheduleGraph(const BackwardGraph &graph,
                                       const SchedulePolicy &policy,
                                       const TargetDescription &target) {
  StreamSchedule s;
  initSchedule(graph, policy, s);
  switch (policy.kind) {
  case PolicyKind::Vanilla:
  case PolicyKind::Auto:
    s.numStreams = 1;
    break;
  case PolicyKind::PaReprop:
    s.numStreams = 2;
    for (unsigned i = 0; i < graph.nodes.size(); ++i)
      if (graph.nodes[i].kind == WorkKind::Recompute ||
          graph.nodes[i].kind == WorkKind::Checkpoint)
        s.stream[i] = 1;
    addMemoryWindow(graph, std::max(1u, policy.lookahead), s);
    break;
  case PolicyKind::List:
    s.numStreams = std::max(1u, policy.streams);
    addMemoryWindow(graph, std::max(1u, policy.lookahead), s);
    assignList(graph, s);
    break;
  }
  simulate(graph, target, s);
  reduceWaits(s);
  return s;
}

//===----------------------------------------------------------------------===//
// Simulation and memory
//===----------------------------------------------------------------------===//

bool pareprop::runsAlone(const BackwardGraph &graph, const StreamSchedule &s,
                         unsigned node) {
  return s.numStreams == 1 || graph.nodes[node].kind == WorkKind::Forward;
}

void pareprop::simulate(const BackwardGraph &graph,
                        const TargetDescription &target, StreamSchedule &s) {
  unsigned n = graph.nodes.size();
  s.start.assign(n, 0);
  s.finish.assign(n, 0);
  s.makespan = 0;
  std::vector<unsigned> position(n), pending(n, 0);
  std::vector<int> nextOnStream(n, -1);
  std::vector<SmallVector<unsigned, 4>> succ(n);
  SmallVector<int> lastOnStream(s.numStreams, -1);
  for (unsigned p = 0; p < n; ++p) {
    unsigned i = s.issueOrder[p];
    position[i] = p;
    int &last = lastOnStream[s.stream[i]];
    if (last >= 0) {
      nextOnStream[last] = i;
      ++pending[i];
    }
    last = i;
  }
  for (unsigned i = 0; i < n; ++i)
    for (unsigned d : s.deps[i]) {
      succ[d].push_back(i);
      ++pending[i];
    }

  // Ready nodes start in the order they became ready (a FIFO worker pool),
  // earlier issue first among equals.
  using Entry = std::pair<double, unsigned>; // (ready time, issue position)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
  for (unsigned i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.push({0.0, position[i]});
  SmallVector<unsigned, 8> running;
  std::vector<double> remaining(n), units(n);
  for (unsigned i = 0; i < n; ++i) {
    bool alone = runsAlone(graph, s, i);
    const WorkNode &node = graph.nodes[i];
    bool wide = alone && node.aloneSeconds > 0;
    remaining[i] = std::max(wide ? node.aloneSeconds : node.seconds, 1e-12);
    units[i] = wide ? std::max(node.units, node.aloneUnits) : node.units;
  }
  std::vector<double> total = remaining;
  unsigned workers = std::max(1u, target.maxConcurrentTasks), done = 0;
  double now = 0;
  auto release = [&](unsigned i) {
    if (--pending[i] == 0)
      ready.push({now, position[i]});
  };
  while (done < n) {
    while (running.size() < workers && !ready.empty()) {
      unsigned i = s.issueOrder[ready.top().second];
      ready.pop();
      s.start[i] = now;
      running.push_back(i);
    }
    if (running.empty())
      break; // A cycle: cannot happen for a schedule built from a DAG.
    double demand = 0;
    for (unsigned i : running)
      demand += units[i];
    double share = std::min(1.0, double(target.computeUnits) / demand);
    double rate =
        share / (1.0 + target.contention * double(running.size() - 1));
    double dt = INFINITY;
    for (unsigned i : running)
      dt = std::min(dt, remaining[i] / rate);
    now += dt;
    SmallVector<unsigned, 8> still;
    for (unsigned i : running) {
      remaining[i] -= rate * dt;
      if (remaining[i] > 1e-9 * total[i]) {
        still.push_back(i);
        continue;
      }
      s.finish[i] = now;
      ++done;
      if (nextOnStream[i] >= 0)
        release(nextOnStream[i]);
      for (unsigned c : succ[i])
        release(c);
    }
    running = std::move(still);
  }
  s.makespan = now;
  // Issue in start order; stable, so each stream keeps its order.
  std::stable_sort(s.issueOrder.begin(), s.issueOrder.end(),
                   [&](unsigned a, unsigned b) { return s.start[a] < s.start[b]; });
  s.peakBytes = predictPeakBytes(graph, s);
}

int64_t pareprop::predictPeakBytes(const BackwardGraph &graph,
                                   const StreamSchedule &s) {
  struct Event {
    double time;
    int64_t delta;
  };
  std::vector<Event> events;
  events.reserve(graph.values.size() * 2 + graph.nodes.size() * 2);
  for (unsigned i = 0; i < graph.nodes.size(); ++i)
    if (int64_t t = graph.nodes[i].transientBytes) {
      events.push_back({s.start[i], t});
      events.push_back({s.finish[i], -t});
    }
  for (const WorkValue &v : graph.values) {
    events.push_back({s.start[v.producer], v.bytes});
    if (v.returned)
      continue;
    double freed = s.finish[v.producer];
    for (unsigned r : v.readers)
      freed = std::max(freed, s.finish[r]);
    events.push_back({freed, -v.bytes});
  }
  // At equal times frees come first: a buffer freed when a task finishes is
  // gone before the next task allocates.
  llvm::sort(events, [](const Event &a, const Event &b) {
    return a.time != b.time ? a.time < b.time : a.delta < b.delta;
  });
  int64_t live = 0, peak = 0;
  for (const Event &e : events) {
    live += e.delta;
    peak = std::max(peak, live);
  }
  return peak;
}

void pareprop::reduceWaits(StreamSchedule &s) {
  unsigned n = s.stream.size(), numStreams = s.numStreams;
  s.waits.assign(n, {});
  // clock[i][t]: how many nodes of stream t are known finished when i
  // starts; pos[i]: i's index on its stream.
  std::vector<unsigned> clocks(size_t(n) * numStreams, 0), pos(n, 0);
  SmallVector<int> lastOnStream(numStreams, -1);
  SmallVector<unsigned> count(numStreams, 0);
  auto clock = [&](unsigned i) { return &clocks[size_t(i) * numStreams]; };
  for (unsigned i : s.issueOrder) {
    unsigned st = s.stream[i];
    pos[i] = count[st]++;
    unsigned *c = clock(i);
    if (int prev = lastOnStream[st]; prev >= 0) {
      std::copy_n(clock(prev), numStreams, c);
      c[st] = std::max(c[st], pos[prev] + 1);
    }
    // The latest dependency per other stream implies the earlier ones.
    SmallVector<int, 4> latest(numStreams, -1);
    for (unsigned d : s.deps[i]) {
      unsigned t = s.stream[d];
      if (t == st || c[t] > pos[d])
        continue;
      if (latest[t] < 0 || pos[d] > pos[unsigned(latest[t])])
        latest[t] = d;
    }
    // Drop a candidate another candidate already orders.
    for (unsigned t = 0; t < numStreams; ++t) {
      if (latest[t] < 0)
        continue;
      unsigned d = latest[t];
      bool implied = false;
      for (unsigned u = 0; u < numStreams && !implied; ++u)
        if (u != t && latest[u] >= 0 && clock(latest[u])[t] > pos[d])
          implied = true;
      if (!implied)
        s.waits[i].push_back(d);
    }
    for (unsigned d : s.waits[i]) {
      const unsigned *cd = clock(d);
      for (unsigned t = 0; t < numStreams; ++t)
        c[t] = std::max(c[t], cd[t]);
      c[s.stream[d]] = std::max(c[s.stream[d]], pos[d] + 1);
    }
    lastOnStream[st] = i;
  }
}

//===----------------------------------------------------------------------===//
// Choosing a schedule
//===----------------------------------------------------------------------===//

llvm::Expected<ScheduleChoice>
pareprop::chooseSchedule(const BackwardGraph &graph,
                         const TargetDescription &target,
                         const ScheduleRequest &request) {
  SmallVector<SchedulePolicy> candidates;
  const SchedulePolicy &asked = request.policy;
  SchedulePolicy vanilla{PolicyKind::Vanilla, 1, 1};
  if (asked.kind == PolicyKind::Auto) {
    candidates.push_back(vanilla);
    for (unsigned k = 1; k <= request.maxLookahead; ++k)
      candidates.push_back({PolicyKind::PaReprop, k, 2});
    for (unsigned n = 2; n <= request.maxStreams; ++n)
      for (unsigned k = 1; k <= request.maxLookahead; ++k)
        candidates.push_back({PolicyKind::List, k, n});
  } else {
    candidates.push_back(asked);
    // Fallbacks under a memory budget: less lookahead, then vanilla.
    if (asked.kind != PolicyKind::Vanilla) {
      for (unsigned k = asked.lookahead; k-- > 1;)
        candidates.push_back({asked.kind, k, asked.streams});
      candidates.push_back(vanilla);
    }
  }

  ScheduleChoice choice;
  std::optional<unsigned> chosen;
  std::optional<StreamSchedule> best;
  for (const SchedulePolicy &p : candidates) {
    // A fixed policy that fits needs no fallback.
    if (asked.kind != PolicyKind::Auto && chosen)
      break;
    StreamSchedule s = scheduleGraph(graph, p, target);
    bool fits = !request.memoryBudget || s.peakBytes <= *request.memoryBudget;
    choice.candidates.push_back({p, s.makespan, s.peakBytes, fits});
    if (!fits)
      continue;
    // Auto keeps the simpler (earlier) candidate unless a later one is
    // predicted faster by more than 1%.
    if (!best || s.makespan < best->makespan * 0.99) {
      best = std::move(s);
      chosen = choice.candidates.size() - 1;
    }
  }
  if (!best) {
    // Nothing fits (every candidate was tried; vanilla is always one): say
    // what the least memory-hungry needs, naming vanilla among equals.
    auto rank = [](const ScheduleChoice::Candidate &c) {
      return std::make_pair(c.peakBytes, c.policy.kind != PolicyKind::Vanilla);
    };
    const auto &least = *llvm::min_element(
        choice.candidates,
        [&](const auto &a, const auto &b) { return rank(a) < rank(b); });
    return llvm::createStringError(llvm::formatv(
        "memory budget of {0} bytes cannot be met: the smallest schedule, "
        "{1}, needs {2} bytes",
        *request.memoryBudget, least.policy.str(), least.peakBytes));
  }
  choice.schedule = std::move(*best);
  if (asked.kind != PolicyKind::Auto && !(choice.schedule.policy == asked)) {
    const auto &first = choice.candidates.front();
    choice.remark = llvm::formatv(
        "memory budget of {0} bytes: {1} needs {2} bytes; using {3} ({4} "
        "bytes)",
        *request.memoryBudget, first.policy.str(), first.peakBytes,
        choice.schedule.policy.str(), choice.schedule.peakBytes);
  }
  return choice;
}

std::optional<int64_t> pareprop::parseByteSize(llvm::StringRef text) {
  text = text.trim();
  size_t digits = 0;
  while (digits < text.size() &&
         (llvm::isDigit(text[digits]) || text[digits] == '.'))
    ++digits;
  double value;
  if (digits == 0 || text.take_front(digits).getAsDouble(value))
    return std::nullopt;
  llvm::StringRef unit = text.drop_front(digits).trim();
  std::optional<double> scale =
      llvm::StringSwitch<std::optional<double>>(unit)
          .Cases({"", "B"}, 1.0)
          .Case("KiB", 1024.0)
          .Case("MiB", 1024.0 * 1024)
          .Case("GiB", 1024.0 * 1024 * 1024)
          .Case("KB", 1e3)
          .Case("MB", 1e6)
          .Case("GB", 1e9)
          .Default(std::nullopt);
  if (!scale || value < 0)
    return std::nullopt;
  return int64_t(std::llround(value * *scale));
}
