#include "admin/web/flow_graph.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <limits>

#include "flow/describe.hpp"

namespace parley::admin::web {

namespace {

constexpr int kNodeWidth = 200;
constexpr int kNodeHeight = 58;
constexpr int kColumnGap = 90;
constexpr int kRowGap = 26;
constexpr int kMargin = 30;
constexpr size_t kNameChars = 26;  // longer names are cut (the full name is in the title)

// At most `max` code points of UTF-8 `s`, with "…" when cut.
std::string Cut(std::string_view s, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max) {
      return std::string(s.substr(0, i)) + "\u2026";
    }
  }
  return std::string(s);
}

std::string Num(int64_t n) { return std::to_string(n); }

struct Point {
  int x = 0;
  int y = 0;
};

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 (but tab, newline, return).
        out +=
            (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') ? ' ' : c;
    }
  }
  return out;
}

std::string FlowGraphSvg(const flow::Flow& flow, const std::vector<StateNumbers>& numbers) {
  const size_t n = flow.states.size();
  // Columns: breadth-first distance from the start state.
  constexpr size_t kUnreached = std::numeric_limits<size_t>::max();
  std::vector<size_t> column(n, kUnreached);
  std::deque<flow::StateId> queue;
  if (n > 0) {
    column[flow.start] = 0;
    queue.push_back(flow.start);
  }
  size_t columns = n > 0 ? 1 : 0;
  while (!queue.empty()) {
    const flow::StateId s = queue.front();
    queue.pop_front();
    for (const flow::Edge& e : flow.states[s].edges) {
      if (column[e.target] == kUnreached) {
        column[e.target] = column[s] + 1;
        columns = std::max(columns, column[e.target] + 1);
        queue.push_back(e.target);
      }
    }
  }
  bool unreached = false;
  for (size_t& c : column) {
    if (c == kUnreached) {
      c = columns;
      unreached = true;
    }
  }
  if (unreached) {
    ++columns;
  }
  std::vector<size_t> rows_in(columns, 0);
  std::vector<Point> at(n);  // each box's top-left corner
  size_t max_rows = 0;
  for (size_t s = 0; s < n; ++s) {
    const size_t row = rows_in[column[s]]++;
    max_rows = std::max(max_rows, row + 1);
    at[s] = {kMargin + 20 + static_cast<int>(column[s]) * (kNodeWidth + kColumnGap),
             kMargin + 40 + static_cast<int>(row) * (kNodeHeight + kRowGap)};
  }
  const int width =
      kMargin * 2 + 20 + static_cast<int>(columns) * (kNodeWidth + kColumnGap) - kColumnGap;
  const int height = kMargin * 2 + 40 + static_cast<int>(max_rows) * (kNodeHeight + kRowGap);

  std::string svg;
  svg.reserve(n * 600);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow-graph\" role=\"img\" width=\"" +
         Num(width) + "\" height=\"" + Num(height) + "\" viewBox=\"0 0 " + Num(width) + " " +
         Num(height) + "\" aria-labelledby=\"graph-title\"><title id=\"graph-title\">" +
         XmlEscape("The states and edges of " + flow.id) + "</title>";
  svg +=
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
      "markerHeight=\"7\" orient=\"auto-start-reverse\"><path class=\"arrowhead\" d=\"M0 0 L10 5 "
      "L0 10 z\"/></marker></defs>";
  // The start point and its arrow into the start state.
  if (n > 0) {
    const Point s = at[flow.start];
    const int y = s.y + kNodeHeight / 2;
    svg += "<circle class=\"start\" cx=\"" + Num(kMargin) + "\" cy=\"" + Num(y) + "\" r=\"5\"/>";
    svg += "<path class=\"edge\" marker-end=\"url(#arrow)\" d=\"M" + Num(kMargin + 5) + " " +
           Num(y) + " L" + Num(s.x) + " " + Num(y) + "\"/>";
  }
  // Edges first, so boxes are drawn over them.
  for (size_t s = 0; s < n; ++s) {
    const flow::State& state = flow.states[s];
    for (size_t i = 0; i < state.edges.size(); ++i) {
      const flow::Edge& e = state.edges[i];
      const Point a = at[s];
      const Point b = at[e.target];
      std::string d;
      if (column[e.target] > column[s]) {
        const int x1 = a.x + kNodeWidth;
        const int y1 = a.y + kNodeHeight / 2;
        const int x2 = b.x;
        const int y2 = b.y + kNodeHeight / 2;
        const int mid = (x1 + x2) / 2;
        d = "M" + Num(x1) + " " + Num(y1) + " C" + Num(mid) + " " + Num(y1) + " " + Num(mid) + " " +
            Num(y2) + " " + Num(x2) + " " + Num(y2);
      } else {
        // Back, same-column and self edges: an arc over the boxes, top to top.
        const int x1 = a.x + kNodeWidth / 2 + 10;
        const int x2 = b.x + kNodeWidth / 2 - 10;
        const int y1 = a.y;
        const int y2 = b.y;
        const int lift = 30 + static_cast<int>(i % 4) * 8;
        d = "M" + Num(x1) + " " + Num(y1) + " C" + Num(x1) + " " + Num(std::min(y1, y2) - lift) +
            " " + Num(x2) + " " + Num(std::min(y1, y2) - lift) + " " + Num(x2) + " " + Num(y2);
      }
      svg += std::string("<path class=\"edge") + (e.link ? " link" : "") +
             "\" marker-end=\"url(#arrow)\" d=\"" + d + "\"><title>" +
             XmlEscape(state.name + " \u2192 " + flow.states[e.target].name + ", edge " +
                       Num(static_cast<int64_t>(i) + 1) + ": " +
                       flow::DescribeCondition(e.condition)) +
             "</title></path>";
    }
  }
  for (size_t s = 0; s < n; ++s) {
    const flow::State& state = flow.states[s];
    const StateNumbers num = s < numbers.size() ? numbers[s] : StateNumbers{};
    const Point p = at[s];
    const std::string now = "now " + Num(num.now);
    const std::string moves =
        "in " + Num(num.entered) + " \u00b7 out " + Num(num.left) + " \u00b7 end " + Num(num.ended);
    svg += std::string("<g class=\"state") + (state.terminal() ? " terminal" : "") + "\"><title>" +
           XmlEscape(state.name + ": " + now + ", " + moves) + "</title>";
    svg += "<rect x=\"" + Num(p.x) + "\" y=\"" + Num(p.y) + "\" width=\"" + Num(kNodeWidth) +
           "\" height=\"" + Num(kNodeHeight) + "\" rx=\"8\"/>";
    svg += "<text class=\"name\" x=\"" + Num(p.x + 10) + "\" y=\"" + Num(p.y + 18) + "\">" +
           XmlEscape(Cut(state.name, kNameChars)) + "</text>";
    svg += "<text x=\"" + Num(p.x + 10) + "\" y=\"" + Num(p.y + 34) + "\">" + XmlEscape(now) +
           "</text>";
    svg += "<text x=\"" + Num(p.x + 10) + "\" y=\"" + Num(p.y + 50) + "\">" + XmlEscape(moves) +
           "</text></g>";
  }
  return svg + "</svg>";
}

}  // namespace parley::admin::web
