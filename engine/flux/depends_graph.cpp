// dependsOn order and cycle detection (reference flux.md §3.3: cycles deadlock upstream; we
// report them as input errors). Boost.Graph stays in this translation unit (STYLE.md).

#include <map>
#include <set>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>
#include <fmt/format.h>

#include "engine/flux/flux.hpp"

namespace rehearse::flux {

Result<std::vector<std::string>> dependency_order(const std::vector<DependencyNode>& nodes) {
  // Vertices in sorted key order (STYLE.md: adjacency_list<vecS, vecS> with sorted insertion).
  std::map<std::string, size_t> index;
  for (const auto& n : nodes) index.emplace(n.ns + "/" + n.name, 0);
  std::vector<std::string> names;
  for (auto& [k, v] : index) {
    v = names.size();
    names.push_back(k);
  }
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  Graph g(names.size());
  std::vector<std::set<size_t>> deps(names.size());  // vertex -> its dependencies
  std::vector<bool> self_loop(names.size(), false);
  for (const auto& n : nodes) {
    size_t from = index.at(n.ns + "/" + n.name);
    for (const auto& d : n.depends_on) {
      auto it = index.find((d.ns.empty() ? n.ns : d.ns) + "/" + d.name);
      if (it == index.end()) continue;  // a missing dependency only blocks, it is no cycle
      if (it->second == from) self_loop[from] = true;
      if (deps[from].insert(it->second).second) boost::add_edge(from, it->second, g);
    }
  }
  std::vector<int> component(names.size());
  int count = names.empty() ? 0 : boost::strong_components(g, component.data());
  std::vector<std::vector<std::string>> members(static_cast<size_t>(count));
  for (size_t v = 0; v < names.size(); ++v) members[static_cast<size_t>(component[v])].push_back(names[v]);
  std::vector<std::string> cycles;
  for (size_t v = 0; v < names.size(); ++v)
    if (self_loop[v]) cycles.push_back(names[v] + " -> " + names[v]);
  for (auto& m : members) {
    if (m.size() < 2) continue;
    std::string text;
    for (const auto& x : m) text += x + " -> ";
    cycles.push_back(text + m.front());
  }
  if (!cycles.empty()) {
    std::sort(cycles.begin(), cycles.end());
    std::string all;
    for (const auto& c : cycles) all += (all.empty() ? "" : "; ") + c;
    return fail("flux-dependency-cycle", fmt::format("dependsOn cycle: {}", all));
  }
  // Kahn's algorithm, smallest ready key first.
  std::vector<size_t> pending(names.size());
  std::vector<std::vector<size_t>> dependents(names.size());
  for (size_t v = 0; v < names.size(); ++v) {
    pending[v] = deps[v].size();
    for (size_t d : deps[v]) dependents[d].push_back(v);
  }
  std::set<size_t> ready;
  for (size_t v = 0; v < names.size(); ++v)
    if (pending[v] == 0) ready.insert(v);
  std::vector<std::string> order;
  while (!ready.empty()) {
    size_t v = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(names[v]);
    for (size_t w : dependents[v])
      if (--pending[w] == 0) ready.insert(w);
  }
  return order;
}

}  // namespace rehearse::flux
