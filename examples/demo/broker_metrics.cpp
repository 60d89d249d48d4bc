#include "broker_metrics.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

namespace demo {
namespace {

// A reader for the small JSON subset the broker writes: objects whose values are strings,
// non-negative integers or objects of integers. Anything else makes the parse fail.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  using Field = std::function<bool(const std::string& key, Reader& value)>;

  /// Calls `field` for every member; `field` must consume the value.
  bool object(const Field& field) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    do {
      std::string key;
      if (!string(key) || !eat(':') || !field(key, *this)) return false;
    } while (eat(','));
    return eat('}');
  }

  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;  // keep the escaped char
      out += text_[pos_++];
    }
    return pos_ < text_.size() && text_[pos_++] == '"';
  }

  bool number(std::uint64_t& out) {
    skip_space();
    const char* begin = text_.data() + pos_;
    const auto [end, error] = std::from_chars(begin, text_.data() + text_.size(), out);
    if (error != std::errc()) return false;
    pos_ += static_cast<std::size_t>(end - begin);
    return true;
  }

  bool counters(std::map<std::string, std::uint64_t, std::less<>>& out) {
    return object([&](const std::string& key, Reader& r) { return r.number(out[key]); });
  }

  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::uint64_t BrokerMetrics::counter(std::string_view name) const {
  const auto it = counters.find(name);
  return it == counters.end() ? 0 : it->second;
}

std::optional<BrokerMetrics> parse_metrics(std::string_view json) {
  BrokerMetrics m;
  Reader reader(json);
  const bool ok = reader.object([&](const std::string& key, Reader& r) {
    if (key == "refusals") return r.counters(m.refusals);
    if (key == "published_by_nation") return r.counters(m.published_by_nation);
    if (key == "delivered") {
      std::map<std::string, std::uint64_t, std::less<>> pairs;
      if (!r.counters(pairs)) return false;
      for (const auto& [pair, n] : pairs) {  // "COL->ECU"
        const auto arrow = pair.find("->");
        if (arrow == std::string::npos) return false;
        m.delivered[{pair.substr(0, arrow), pair.substr(arrow + 2)}] = n;
      }
      return true;
    }
    if (r.peek('"')) {
      std::string text;
      if (!r.string(text)) return false;
      if (key == "policy_version") m.policy_version = text;
      return true;
    }
    return r.number(m.counters[key]);
  });
  if (!ok) return std::nullopt;
  return m;
}

std::optional<BrokerMetrics> read_metrics(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_metrics(text.str());
}

}  // namespace demo
