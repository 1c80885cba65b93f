//===- StreamScheduleTest.cpp - policies, waits, simulation, memory -------===//

#include "pareprop/Analysis/StreamSchedule.h"
#include "pareprop/Analysis/Timeline.h"

#include "gtest/gtest.h"
#include <algorithm>
#include <map>
#include <random>

using namespace pareprop;

namespace {

/// The graph rev-build-training-step + the builder produce for a reversible
/// stack of `depth` blocks: a prefix, the forward blocks, the loss, then per
/// block (last first) a recompute, which reads the rebuilt inputs of the one
/// before, and a gradient, which reads the recompute's internals and inputs
/// and the previous gradient; with `splitParams`, each gradient's parameter
/// half is a node of its own that nothing waits for.
BackwardGraph reversibleGraph(unsigned depth, double forward, double recompute,
                              double grad, bool splitParams = false,
                              int64_t internalsBytes = 1000) {
  BackwardGraph g;
  auto node = [&](WorkKind kind, int64_t block, double seconds) {
    unsigned id = g.addNode(kind, block);
    g.nodes[id].seconds = seconds;
    return id;
  };
  unsigned prev = node(WorkKind::Forward, -1, forward);
  std::vector<unsigned> blocks;
  for (unsigned b = 0; b < depth; ++b) {
    unsigned f = node(WorkKind::Forward, b, forward);
    g.addValue(prev, 100, {f});
    blocks.push_back(f);
    prev = f;
  }
  unsigned loss = node(WorkKind::Forward, -1, forward);
  g.addValue(prev, 100, {loss});
  g.addValue(loss, 4, {}, false, /*returned=*/true);
  unsigned inputsOf = prev; // Node holding the current block's outputs.
  unsigned gradIn = loss;
  for (unsigned k = depth; k-- > 0;) {
    unsigned r = node(WorkKind::Recompute, k, recompute);
    unsigned gr = node(WorkKind::Gradient, k, splitParams ? grad / 2 : grad);
    g.addValue(inputsOf, 100, {r, gr});
    g.addValue(r, internalsBytes, {gr}, /*internals=*/true);
    g.addValue(gradIn, 100, {gr});
    if (splitParams) {
      unsigned pg = node(WorkKind::ParamGradient, k, grad / 2);
      g.addValue(gr, internalsBytes, {pg});
      g.addValue(pg, 50, {}, false, true);
    } else {
      g.addValue(gr, 50, {}, false, true);
    }
    inputsOf = r;
    gradIn = gr;
  }
  unsigned tail = node(WorkKind::Backprop, -1, forward);
  g.addValue(gradIn, 100, {tail});
  g.addValue(inputsOf, 100, {tail});
  g.addValue(tail, 50, {}, false, true);
  return g;
}

TargetDescription twoCores(double contention = 0) {
  TargetDescription t;
  t.computeUnits = 2;
  t.maxConcurrentTasks = 2;
  t.contention = contention;
  return t;
}

/// Every dependency finishes before its reader starts, and the issue order
/// is topological.
void expectValid(const BackwardGraph &g, const StreamSchedule &s) {
  std::vector<int> position(s.issueOrder.size());
  for (size_t i = 0; i < s.issueOrder.size(); ++i)
    position[s.issueOrder[i]] = i;
  for (size_t i = 0; i < s.deps.size(); ++i)
    for (unsigned d : s.deps[i]) {
      EXPECT_LT(position[d], position[i]) << d << " -> " << i;
      EXPECT_LE(s.finish[d], s.start[i] + 1e-12) << d << " -> " << i;
    }
  for (unsigned i = 0; i < g.nodes.size(); ++i)
    EXPECT_GE(s.finish[i] - s.start[i], g.nodes[i].seconds * (1 - 1e-9));
}

/// Most of the (start, end) intervals that overlap at any time.
unsigned mostOverlapping(const std::vector<std::pair<double, double>> &spans) {
  std::vector<std::pair<double, int>> events;
  for (auto [start, end] : spans) {
    events.push_back({start, +1});
    events.push_back({end, -1});
  }
  std::sort(events.begin(), events.end());
  int live = 0, most = 0;
  for (auto [t, d] : events)
    most = std::max(most, live += d);
  return most;
}

/// Most recomputes whose internals are alive at once: from the recompute's
/// start to the finish of the last reader of its internals.
unsigned maxLiveInternals(const BackwardGraph &g, const StreamSchedule &s) {
  std::vector<std::pair<double, double>> spans;
  for (const WorkValue &v : g.values) {
    if (!v.internals)
      continue;
    double end = s.finish[v.producer];
    for (unsigned r : v.readers)
      end = std::max(end, s.finish[r]);
    spans.push_back({s.start[v.producer], end});
  }
  return mostOverlapping(spans);
}

TEST(StreamSchedule, ParsesAndPrintsPolicies) {
  EXPECT_EQ(parsePolicyKind("vanilla"), PolicyKind::Vanilla);
  EXPECT_EQ(parsePolicyKind("pareprop"), PolicyKind::PaReprop);
  EXPECT_EQ(parsePolicyKind("list"), PolicyKind::List);
  EXPECT_EQ(parsePolicyKind("auto"), PolicyKind::Auto);
  EXPECT_FALSE(parsePolicyKind("parallel").has_value());
  EXPECT_EQ((SchedulePolicy{PolicyKind::PaReprop, 2, 2}).str(),
            "pareprop(lookahead=2)");
  EXPECT_EQ((SchedulePolicy{PolicyKind::List, 1, 3}).str(), "list(streams=3)");
  EXPECT_EQ(parseByteSize("64KiB"), 65536);
  EXPECT_EQ(parseByteSize("1.5MiB"), 1572864);
  EXPECT_EQ(parseByteSize("1000"), 1000);
  EXPECT_FALSE(parseByteSize("lots").has_value());
  EXPECT_FALSE(parseByteSize("12 parsecs").has_value());
}

TEST(StreamSchedule, VanillaIsOneStreamInProgramOrder) {
  BackwardGraph g = reversibleGraph(3, 1, 1, 2);
  StreamSchedule s =
      scheduleGraph(g, {PolicyKind::Vanilla, 1, 1}, twoCores());
  expectValid(g, s);
  EXPECT_EQ(s.numStreams, 1u);
  for (unsigned i = 0; i < g.nodes.size(); ++i) {
    EXPECT_EQ(s.stream[i], 0u);
    EXPECT_EQ(s.issueOrder[i], i);
    EXPECT_TRUE(s.waits[i].empty());
  }
  EXPECT_DOUBLE_EQ(s.makespan, g.serialSeconds());
}

TEST(StreamSchedule, PaRepropOverlapsRecomputeWithTheNextGradient) {
  for (unsigned depth : {1u, 2u, 3u, 5u, 8u}) {
    BackwardGraph g = reversibleGraph(depth, 1, 1, 2);
    StreamSchedule s = scheduleGraph(g, {PolicyKind::PaReprop, 1, 2}, twoCores());
    expectValid(g, s);
    SCOPED_TRACE(depth);
    std::vector<unsigned> rec, grad;
    for (unsigned i = 0; i < g.nodes.size(); ++i) {
      EXPECT_EQ(s.stream[i], g.nodes[i].kind == WorkKind::Recompute ? 1u : 0u);
      if (g.nodes[i].kind == WorkKind::Recompute)
        rec.push_back(i);
      if (g.nodes[i].kind == WorkKind::Gradient)
        grad.push_back(i);
    }
    for (unsigned k = 0; k + 1 < rec.size(); ++k) {
      // Recompute of the next block down runs while this gradient does, and
      // neither waits for the other.
      EXPECT_LT(s.start[rec[k + 1]], s.finish[grad[k]]);
      EXPECT_FALSE(llvm::is_contained(s.waits[rec[k + 1]], grad[k]));
      EXPECT_FALSE(llvm::is_contained(s.waits[grad[k]], rec[k + 1]));
    }
    EXPECT_LE(maxLiveInternals(g, s), 2u);
    if (depth > 1)
      EXPECT_LT(s.makespan, g.serialSeconds());
  }
}

TEST(StreamSchedule, LookaheadBoundsLiveInternals) {
  // Recompute is cheap and gradients are slow, so the recompute stream runs
  // as far ahead as the memory window lets it.
  BackwardGraph g = reversibleGraph(10, 1, 0.5, 4);
  unsigned previous = 0;
  for (unsigned k = 1; k <= 4; ++k) {
    StreamSchedule s =
        scheduleGraph(g, {PolicyKind::PaReprop, k, 2}, twoCores());
    expectValid(g, s);
    unsigned live = maxLiveInternals(g, s);
    EXPECT_LE(live, k + 1) << "lookahead " << k;
    EXPECT_GT(live, previous) << "lookahead " << k;
    previous = live;
    EXPECT_FALSE(s.memoryEdges.empty());
  }
}

/// Most blocks whose gradient work holds memory at once: from the block's
/// recompute to the last of its gradient and parameter-gradient nodes.
unsigned maxLiveBlocks(const BackwardGraph &g, const StreamSchedule &s) {
  std::map<int64_t, std::pair<double, double>> span;
  for (unsigned i = 0; i < g.nodes.size(); ++i) {
    const WorkNode &n = g.nodes[i];
    if (n.block < 0 || n.kind == WorkKind::Forward)
      continue;
    auto [it, inserted] = span.try_emplace(n.block, s.start[i], s.finish[i]);
    it->second.first = std::min(it->second.first, s.start[i]);
    it->second.second = std::max(it->second.second, s.finish[i]);
  }
  std::vector<std::pair<double, double>> spans;
  for (auto &[block, interval] : span)
    spans.push_back(interval);
  return mostOverlapping(spans);
}

TEST(StreamSchedule, LookaheadBoundsBlocksWithPendingParamGradients) {
  // Op granularity: the parameter-gradient nodes hold values cut from their
  // block's gradient and nothing in the backward waits for them, so list
  // scheduling would run them last. The memory window makes each recompute
  // wait for them too: at most lookahead + 1 blocks hold memory at once.
  BackwardGraph g = reversibleGraph(10, 1, 0.5, 4, /*splitParams=*/true);
  for (PolicyKind kind : {PolicyKind::PaReprop, PolicyKind::List})
    for (unsigned k = 1; k <= 3; ++k) {
      StreamSchedule s = scheduleGraph(g, {kind, k, 2}, twoCores());
      expectValid(g, s);
      EXPECT_LE(maxLiveBlocks(g, s), k + 1)
          << stringifyPolicyKind(kind).str() << " lookahead " << k;
      bool waitsForParamGrad = llvm::any_of(s.memoryEdges, [&](auto edge) {
        return g.nodes[edge.first].kind == WorkKind::ParamGradient;
      });
      EXPECT_TRUE(waitsForParamGrad);
    }
}

TEST(StreamSchedule, PeakMemoryFollowsTheSchedule) {
  BackwardGraph g = reversibleGraph(6, 1, 0.5, 4, false, 10000);
  StreamSchedule vanilla = scheduleGraph(g, {PolicyKind::Vanilla, 1, 1}, twoCores());
  StreamSchedule one = scheduleGraph(g, {PolicyKind::PaReprop, 1, 2}, twoCores());
  StreamSchedule three = scheduleGraph(g, {PolicyKind::PaReprop, 3, 2}, twoCores());
  // One more block of internals per step of lookahead (10000 bytes each).
  EXPECT_GE(one.peakBytes - vanilla.peakBytes, 10000);
  EXPECT_GE(three.peakBytes - one.peakBytes, 2 * 10000);
  EXPECT_EQ(vanilla.peakBytes, predictPeakBytes(g, vanilla));
}

TEST(StreamSchedule, PeakMemoryOfAChain) {
  // a -> b -> c with 10, 20 byte values and 5 transient bytes in b; c's
  // output (30 bytes) is returned.
  BackwardGraph g;
  for (int i = 0; i < 3; ++i)
    g.nodes[g.addNode(WorkKind::Forward)].seconds = 1;
  g.nodes[1].transientBytes = 5;
  g.addValue(0, 10, {1});
  g.addValue(1, 20, {2});
  g.addValue(2, 30, {}, false, true);
  StreamSchedule s = scheduleGraph(g, {PolicyKind::Vanilla, 1, 1}, twoCores());
  // While b runs: its input, its output and its transient bytes.
  // While c runs: b's output and c's output.
  EXPECT_EQ(s.peakBytes, 50);
}

/// Brute force: does `to` run after `from` through stream order and waits?
bool ordered(const StreamSchedule &s, unsigned from, unsigned to) {
  std::vector<char> seen(s.stream.size(), 0);
  std::vector<unsigned> work{to};
  std::vector<int> prevOnStream(s.stream.size(), -1);
  std::vector<int> last(s.numStreams, -1);
  for (unsigned i : s.issueOrder) {
    prevOnStream[i] = last[s.stream[i]];
    last[s.stream[i]] = i;
  }
  while (!work.empty()) {
    unsigned n = work.back();
    work.pop_back();
    auto visit = [&](int p) {
      if (p >= 0 && !seen[p]) {
        seen[p] = 1;
        work.push_back(p);
      }
    };
    visit(prevOnStream[n]);
    for (unsigned w : s.waits[n])
      visit(w);
  }
  return seen[from];
}

TEST(StreamSchedule, WaitsAreATransitiveReduction) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    StreamSchedule s;
    unsigned n = 30;
    s.numStreams = 1 + trial % 4;
    s.deps.resize(n);
    for (unsigned i = 0; i < n; ++i) {
      s.stream.push_back(rng() % s.numStreams);
      s.issueOrder.push_back(i);
      for (unsigned d = 0; d < i; ++d)
        if (rng() % 6 == 0)
          s.deps[i].push_back(d);
    }
    reduceWaits(s);
    for (unsigned i = 0; i < n; ++i) {
      // Every dependency is ordered...
      for (unsigned d : s.deps[i])
        EXPECT_TRUE(ordered(s, d, i)) << trial << ": " << d << " -> " << i;
      // ...and no kept wait is implied by the rest.
      for (unsigned w : s.waits[i]) {
        EXPECT_NE(s.stream[w], s.stream[i]);
        auto saved = s.waits[i];
        s.waits[i].erase(llvm::find(s.waits[i], w));
        EXPECT_FALSE(ordered(s, w, i)) << trial << ": redundant " << w
                                       << " -> " << i;
        s.waits[i] = saved;
      }
    }
  }
}

TEST(StreamSchedule, ListSchedulingFillsTheStreams) {
  // With the parameter halves of the gradients split off, list scheduling
  // over two streams runs them beside the critical path.
  BackwardGraph g = reversibleGraph(8, 1, 1, 4, /*splitParams=*/true);
  TargetDescription t = twoCores();
  StreamSchedule list = scheduleGraph(g, {PolicyKind::List, 2, 2}, t);
  StreamSchedule pareprop = scheduleGraph(g, {PolicyKind::PaReprop, 2, 2}, t);
  StreamSchedule vanilla = scheduleGraph(g, {PolicyKind::Vanilla, 1, 1}, t);
  expectValid(g, list);
  EXPECT_LT(list.makespan, pareprop.makespan);
  EXPECT_LT(pareprop.makespan, vanilla.makespan);
  // Both streams are busy for most of the backward.
  double busy[2] = {0, 0};
  for (unsigned i = 0; i < g.nodes.size(); ++i)
    busy[list.stream[i]] += list.finish[i] - list.start[i];
  EXPECT_GT(std::min(busy[0], busy[1]), 0.3 * list.makespan);
}

TEST(StreamSchedule, ContentionAndSharedUnitsSlowOverlap) {
  BackwardGraph g = reversibleGraph(6, 1, 1, 2);
  // One compute unit: two streams only share it.
  TargetDescription one = twoCores();
  one.computeUnits = 1;
  StreamSchedule s = scheduleGraph(g, {PolicyKind::PaReprop, 1, 2}, one);
  EXPECT_GE(s.makespan, g.serialSeconds() * (1 - 1e-9));
  // Heavy contention: overlap costs more than it saves.
  StreamSchedule c = scheduleGraph(g, {PolicyKind::PaReprop, 1, 2}, twoCores(2.0));
  EXPECT_GT(c.makespan, g.serialSeconds());
}

TEST(StreamSchedule, AutoPicksTheFastestThatFits) {
  BackwardGraph g = reversibleGraph(8, 1, 1, 2, true);
  ScheduleRequest request;
  request.policy.kind = PolicyKind::Auto;
  for (double contention : {0.0, 0.3, 3.0}) {
    TargetDescription t = twoCores(contention);
    auto choice = chooseSchedule(g, t, request);
    ASSERT_TRUE(bool(choice));
    for (const auto &c : choice->candidates)
      EXPECT_LE(choice->schedule.makespan, c.makespan * 1.01)
          << c.policy.str() << " contention " << contention;
    if (contention == 3.0)
      EXPECT_EQ(choice->schedule.policy.kind, PolicyKind::Vanilla);
    if (contention == 0.0)
      EXPECT_NE(choice->schedule.policy.kind, PolicyKind::Vanilla);
  }
}

TEST(StreamSchedule, MemoryBudgetFallsBackOrFails) {
  BackwardGraph g = reversibleGraph(6, 1, 0.5, 4, false, 10000);
  TargetDescription t = twoCores();
  int64_t vanillaPeak =
      scheduleGraph(g, {PolicyKind::Vanilla, 1, 1}, t).peakBytes;
  ScheduleRequest request;
  request.policy = {PolicyKind::PaReprop, 3, 2};
  request.memoryBudget = vanillaPeak;
  auto choice = chooseSchedule(g, t, request);
  ASSERT_TRUE(bool(choice));
  EXPECT_EQ(choice->schedule.policy.kind, PolicyKind::Vanilla);
  EXPECT_NE(choice->remark.find("pareprop(lookahead=3) needs"),
            std::string::npos)
      << choice->remark;
  // Lookahead 1 fits between vanilla and lookahead 3.
  int64_t onePeak = scheduleGraph(g, {PolicyKind::PaReprop, 1, 2}, t).peakBytes;
  request.memoryBudget = onePeak;
  choice = chooseSchedule(g, t, request);
  ASSERT_TRUE(bool(choice));
  EXPECT_EQ(choice->schedule.policy, (SchedulePolicy{PolicyKind::PaReprop, 1, 2}));
  request.memoryBudget = vanillaPeak - 1;
  choice = chooseSchedule(g, t, request);
  ASSERT_FALSE(bool(choice));
  std::string message = llvm::toString(choice.takeError());
  EXPECT_NE(message.find("needs " + std::to_string(vanillaPeak) + " bytes"),
            std::string::npos)
      << message;
}

TEST(StreamSchedule, TimelineHasOneEventPerNode) {
  BackwardGraph g = reversibleGraph(2, 1, 1, 2);
  StreamSchedule s = scheduleGraph(g, {PolicyKind::PaReprop, 1, 2}, twoCores());
  auto events = predictedTimeline(g, s);
  ASSERT_EQ(events.size(), g.nodes.size());
  std::string json;
  llvm::raw_string_ostream os(json);
  writeChromeTrace(os, events, "test", {{"policy", "pareprop"}});
  EXPECT_NE(json.find("\"kind\":\"recompute\""), std::string::npos);
  EXPECT_NE(json.find("\"stream 1\""), std::string::npos);
}

TEST(TargetDescription, BuiltinsJSONAndErrors) {
  auto cpu = TargetDescription::builtin("cpu");
  ASSERT_TRUE(bool(cpu));
  auto back = TargetDescription::fromJSON(cpu->toJSON());
  ASSERT_TRUE(bool(back));
  EXPECT_EQ(back->flopsPerUnit, cpu->flopsPerUnit);
  EXPECT_EQ(back->contention, cpu->contention);
  auto h100 = TargetDescription::fromJSON(R"({"base": "h100", "contention": 0.5})");
  ASSERT_TRUE(bool(h100));
  EXPECT_EQ(h100->computeUnits, 132u);
  EXPECT_EQ(h100->contention, 0.5);
  auto bad = TargetDescription::fromJSON(R"({"flops_per_unit": "fast"})");
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("flops_per_unit"),
            std::string::npos);
  auto unknown = TargetDescription::fromJSON(R"({"warp_size": 32})");
  ASSERT_FALSE(bool(unknown));
  EXPECT_NE(llvm::toString(unknown.takeError()).find("unknown target field"),
            std::string::npos);
  EXPECT_FALSE(bool(TargetDescription::builtin("tpu")));
  llvm::consumeError(TargetDescription::builtin("tpu").takeError());
}

TEST(TargetDescription, CalibrationRecoversTheParameters) {
  TargetDescription truth;
  truth.flopsPerUnit = 2e9;
  truth.bandwidthPerUnit = 4e9;
  truth.kernelOverhead = 1e-6;
  truth.taskOverhead = 3e-6;
  std::vector<TimedTask> samples;
  std::mt19937 rng(3);
  for (int i = 0; i < 50; ++i) {
    TimedTask s;
    s.flops = 1e4 * (1 + rng() % 1000);
    s.bytes = 1e3 * (1 + rng() % 1000);
    s.kernels = 1 + rng() % 20;
    s.seconds = s.flops / truth.flopsPerUnit + s.bytes / truth.bandwidthPerUnit +
                s.kernels * truth.kernelOverhead + truth.taskOverhead;
    samples.push_back(s);
  }
  TargetDescription fitted = calibrate(TargetDescription(), samples);
  EXPECT_NEAR(fitted.flopsPerUnit / truth.flopsPerUnit, 1.0, 1e-6);
  EXPECT_NEAR(fitted.bandwidthPerUnit / truth.bandwidthPerUnit, 1.0, 1e-6);
  EXPECT_NEAR(fitted.kernelOverhead, truth.kernelOverhead, 1e-12);
  EXPECT_NEAR(fitted.taskOverhead, truth.taskOverhead, 1e-12);

  TargetDescription t;
  calibrateContention(t, {{1.0, 1.2, 1.0}, {2.0, 2.4, 1.0}});
  EXPECT_NEAR(t.contention, 0.2, 1e-12);
}

/// A target with a kernel library whose products are 10x the loops' rate
/// and split over both units when a task runs alone.
TargetDescription withLibrary() {
  TargetDescription t = twoCores();
  t.flopsPerUnit = 1e9;
  t.contractionFlopsPerUnit = 1e10;
  t.splitUnits = 2;
  t.splitFlops = 1e6;
  t.taskOverhead = 0;
  return t;
}

TEST(TargetDescription, LibraryProductsAndSplitting) {
  TargetDescription t = withLibrary();
  OpWork product{1e8, 0, 1e4, /*contraction=*/true};
  OpWork small{1e5, 0, 1e3, /*contraction=*/true};
  OpWork loop{1e8, 0, 1e4, /*contraction=*/false};
  EXPECT_DOUBLE_EQ(t.kernelSeconds(product), 1e-2);
  EXPECT_DOUBLE_EQ(t.kernelSeconds(product, /*alone=*/true), 0.5e-2);
  // Too small to be worth waking the helper; loops are never split.
  EXPECT_DOUBLE_EQ(t.kernelSeconds(small, true), t.kernelSeconds(small));
  EXPECT_DOUBLE_EQ(t.kernelSeconds(loop, true), 1e-1);
  TargetDescription loops = t.withoutContractionLibrary();
  EXPECT_DOUBLE_EQ(loops.kernelSeconds(product, true), 1e-1);
  // With pareprop-split-kernels-across-threads, large loop kernels split too,
  // and so do products compiled to loops; small ones stay whole.
  t.splitLoopFlops = 1e6;
  loops.splitLoopFlops = 1e6;
  EXPECT_DOUBLE_EQ(t.kernelSeconds(loop, true), 0.5e-1);
  EXPECT_DOUBLE_EQ(t.kernelSeconds(loop), 1e-1);
  EXPECT_DOUBLE_EQ(loops.kernelSeconds(product, true), 0.5e-1);
  OpWork smallLoop{1e5, 0, 1e3, false};
  EXPECT_DOUBLE_EQ(t.kernelSeconds(smallLoop, true), 1e-4);
  // The fields round-trip through JSON.
  auto parsed = TargetDescription::fromJSON(t.toJSON());
  ASSERT_TRUE(bool(parsed));
  EXPECT_DOUBLE_EQ(parsed->contractionFlopsPerUnit, 1e10);
  EXPECT_EQ(parsed->splitUnits, 2u);
  EXPECT_DOUBLE_EQ(parsed->splitFlops, 1e6);
  EXPECT_DOUBLE_EQ(parsed->splitLoopFlops, 1e6);
}

/// reversibleGraph whose nodes each run one kernel of `flops` FLOPs, costed
/// on `target`.
BackwardGraph costedGraph(const TargetDescription &target, bool products) {
  BackwardGraph g = reversibleGraph(6, 1, 1, 2, true);
  for (WorkNode &n : g.nodes)
    n.kernels = {{n.seconds * 1e8, 0, 1e4, products}};
  g.assignCosts(target);
  return g;
}

TEST(StreamSchedule, TasksThatRunAloneSpreadLargeProducts) {
  TargetDescription t = withLibrary();
  BackwardGraph g = costedGraph(t, /*products=*/true);
  StreamSchedule vanilla = scheduleGraph(g, {PolicyKind::Vanilla, 1, 1}, t);
  StreamSchedule pareprop = scheduleGraph(g, {PolicyKind::PaReprop, 1, 2}, t);
  for (unsigned i = 0; i < g.nodes.size(); ++i) {
    EXPECT_TRUE(runsAlone(g, vanilla, i));
    EXPECT_EQ(runsAlone(g, pareprop, i), g.nodes[i].kind == WorkKind::Forward);
    EXPECT_NEAR(g.nodes[i].aloneSeconds, g.nodes[i].seconds / 2, 1e-12);
    // Pareprop's backward tasks share the units with the other stream.
    double ran = pareprop.finish[i] - pareprop.start[i];
    EXPECT_GE(ran, (runsAlone(g, pareprop, i) ? g.nodes[i].aloneSeconds
                                              : g.nodes[i].seconds) *
                       (1 - 1e-9));
  }
  // Every task of the one-stream schedule uses both units.
  EXPECT_NEAR(vanilla.makespan, g.serialSeconds() / 2, 1e-9);
}

TEST(StreamSchedule, AutoPrefersIntraOpParallelismWhenProductsDominate) {
  ScheduleRequest request;
  request.policy.kind = PolicyKind::Auto;
  TargetDescription t = withLibrary();
  // Large products: the one-stream schedule splits each of them over both
  // units, which no overlap of whole tasks can beat.
  BackwardGraph products = costedGraph(t, true);
  auto choice = chooseSchedule(products, t, request);
  ASSERT_TRUE(bool(choice));
  EXPECT_EQ(choice->schedule.policy.kind, PolicyKind::Vanilla);
  // Loop kernels run on one unit: overlap is what fills the second.
  BackwardGraph loops = costedGraph(t, false);
  choice = chooseSchedule(loops, t, request);
  ASSERT_TRUE(bool(choice));
  EXPECT_NE(choice->schedule.policy.kind, PolicyKind::Vanilla);
}

TEST(TargetDescription, CalibrationRecoversTheLibraryRate) {
  TargetDescription truth = withLibrary();
  truth.contractionFlopsPerUnit = 3e10;
  truth.flopsPerUnit = 2e9;
  truth.bandwidthPerUnit = 4e9;
  truth.taskOverhead = 3e-6;
  // The fit starts from a guess at the library's rate; which products were
  // split comes from the target's split rule.
  TargetDescription guess = truth;
  guess.contractionFlopsPerUnit = 1e10;
  std::vector<TimedTask> samples;
  std::mt19937 rng(5);
  for (int i = 0; i < 60; ++i) {
    std::vector<OpWork> kernels;
    for (int k = 0, n = 1 + rng() % 6; k < n; ++k)
      kernels.push_back({1e5 * (1 + rng() % 100), 1e3 * (1 + rng() % 1000),
                         1e3, rng() % 2 == 0});
    bool alone = rng() % 2 == 0;
    samples.push_back(TimedTask::of(guess, kernels, alone,
                                    truth.taskSeconds(kernels, alone)));
  }
  TargetDescription fitted = calibrate(guess, samples);
  EXPECT_NEAR(fitted.contractionFlopsPerUnit / 3e10, 1.0, 1e-6);
  EXPECT_NEAR(fitted.flopsPerUnit / 2e9, 1.0, 1e-6);
  EXPECT_NEAR(fitted.bandwidthPerUnit / 4e9, 1.0, 1e-6);
  EXPECT_NEAR(fitted.taskOverhead, 3e-6, 1e-12);
}

TEST(TargetDescription, CalibratedTargetPredictsWhatItWasFittedTo) {
  // Measured tasks whose time is products, memory traffic and a constant:
  // their loop flops cost nothing beyond the traffic (a vectorized loop is
  // memory-bound), so the fit gives the flops column no cost. The base
  // target's slow loop rate must not come back in the calibrated one, and
  // split loop kernels count half their work per thread on both sides.
  TargetDescription base = withLibrary();
  base.splitLoopFlops = 1e5;
  base.bandwidth = 1e9;
  base.bandwidthPerUnit = 5e8;
  std::vector<TimedTask> samples;
  std::vector<std::pair<std::vector<OpWork>, bool>> tasks;
  std::mt19937 rng(11);
  for (int i = 0; i < 40; ++i) {
    std::vector<OpWork> kernels;
    double seconds = 2e-5;
    bool alone = rng() % 2 == 0;
    for (int k = 0, n = 1 + rng() % 5; k < n; ++k) {
      OpWork w{1e4 * (1 + rng() % 100), 1e4 * (1 + rng() % 100), 1e3,
               rng() % 3 == 0};
      double split = base.splitFor(w, alone);
      seconds += (w.contraction ? w.flops / (4e10 * split) : 0.0) +
                 w.bytes / (8e9 * split);
      kernels.push_back(w);
    }
    samples.push_back(TimedTask::of(base, kernels, alone, seconds));
    tasks.push_back({kernels, alone});
  }
  TargetDescription fitted = calibrate(base, samples);
  for (auto [task, sample] : llvm::zip(tasks, samples))
    EXPECT_NEAR(fitted.taskSeconds(task.first, task.second) / sample.seconds,
                1.0, 1e-3);
  EXPECT_NEAR(fitted.contractionFlopsPerUnit / 4e10, 1.0, 1e-6);
  EXPECT_GT(fitted.flopsPerUnit, 1e15);
}

} // namespace
