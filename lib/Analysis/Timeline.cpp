//===- Timeline.cpp - Chrome trace / Perfetto timelines -------------------===//

#include "pareprop/Analysis/Timeline.h"
#include "pareprop/Analysis/StreamSchedule.h"

#include "llvm/Support/JSON.h"

using namespace pareprop;

std::vector<TimelineEvent>
pareprop::predictedTimeline(const BackwardGraph &graph,
                            const StreamSchedule &schedule) {
  std::vector<TimelineEvent> events;
  events.reserve(graph.nodes.size());
  for (unsigned i : schedule.issueOrder) {
    const WorkNode &n = graph.nodes[i];
    events.push_back({stringifyWorkKind(n.kind).str(), n.block,
                      schedule.stream[i], schedule.start[i],
                      schedule.finish[i] - schedule.start[i]});
  }
  return events;
}

void pareprop::writeChromeTrace(
    llvm::raw_ostream &os, llvm::ArrayRef<TimelineEvent> events,
    llvm::StringRef title,
    llvm::ArrayRef<std::pair<std::string, std::string>> metadata) {
  llvm::json::OStream j(os, 0);
  j.object([&] {
    j.attributeArray("traceEvents", [&] {
      unsigned maxStream = 0;
      for (const TimelineEvent &e : events)
        maxStream = std::max(maxStream, e.stream);
      j.object([&] {
        j.attribute("name", "process_name");
        j.attribute("ph", "M");
        j.attribute("pid", 1);
        j.attributeObject("args", [&] { j.attribute("name", title); });
      });
      for (unsigned s = 0; s <= maxStream && !events.empty(); ++s)
        j.object([&] {
          j.attribute("name", "thread_name");
          j.attribute("ph", "M");
          j.attribute("pid", 1);
          j.attribute("tid", int64_t(s));
          j.attributeObject("args", [&] {
            j.attribute("name", "stream " + std::to_string(s));
          });
        });
      for (const TimelineEvent &e : events)
        j.object([&] {
          std::string name = e.kind;
          if (e.block >= 0)
            name += " " + std::to_string(e.block);
          j.attribute("name", name);
          j.attribute("cat", e.kind);
          j.attribute("ph", "X");
          j.attribute("pid", 1);
          j.attribute("tid", int64_t(e.stream));
          j.attribute("ts", e.start * 1e6);
          j.attribute("dur", e.duration * 1e6);
          j.attributeObject("args", [&] {
            j.attribute("kind", e.kind);
            j.attribute("block", e.block);
            j.attribute("stream", int64_t(e.stream));
          });
        });
    });
    j.attribute("displayTimeUnit", "ms");
    j.attributeObject("otherData", [&] {
      for (const auto &[k, v] : metadata)
        j.attribute(k, v);
    });
  });
  os << "\n";
}
