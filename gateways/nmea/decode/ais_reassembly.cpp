#include "nmea/decode/ais_reassembly.hpp"

namespace enlace::gateway::nmea {

Decoded<AisFragment> parse_ais_fragment(const Sentence& s) noexcept {
  if (s.start != '!' || (s.type != "VDM" && s.type != "VDO")) return Reject::unknown_sentence;
  // 0 count, 1 number, 2 sequence id, 3 channel, 4 payload, 5 fill
  if (s.field_count < 6) return Reject::bad_field;
  AisFragment f;
  f.own_ship = s.type == "VDO";
  const auto count = parse_uint(s.field(0));
  const auto number = parse_uint(s.field(1));
  const auto fill = parse_uint(s.field(5));
  if (!count || !number || !fill || *count < 1 || *count > 9 || *number < 1 || *number > *count ||
      *fill > 5) {
    return Reject::bad_field;
  }
  f.count = static_cast<std::uint8_t>(*count);
  f.number = static_cast<std::uint8_t>(*number);
  f.fill = static_cast<std::uint8_t>(*fill);
  if (!s.field(2).empty()) {
    const auto seq = parse_uint(s.field(2));
    if (!seq || *seq > 9) return Reject::bad_field;
    f.sequence_id = static_cast<std::uint8_t>(*seq);
  }
  if (s.field(3).size() > 1) return Reject::bad_field;
  f.channel = s.field(3).empty() ? '\0' : s.field(3)[0];
  f.payload = s.field(4);
  if (f.payload.empty() && f.count == 1) return Reject::bad_field;
  return f;
}

AisReassembler::AisReassembler(Limits limits) : limits_(limits) {
  entries_.resize(limits_.max_entries);
}

std::uint64_t AisReassembler::take_dropped() noexcept {
  const std::uint64_t n = dropped_;
  dropped_ = 0;
  return n;
}

std::size_t AisReassembler::pending() const noexcept {
  std::size_t n = 0;
  for (const Entry& e : entries_) n += e.used ? 1 : 0;
  return n;
}

void AisReassembler::expire(std::int64_t now_ns) {
  for (Entry& e : entries_) {
    if (e.used && now_ns - e.started_ns > limits_.timeout_ns) {
      e.used = false;
      ++dropped_;
    }
  }
}

AisReassembler::Entry* AisReassembler::find(std::string_view key) {
  for (Entry& e : entries_) {
    if (e.used && e.key == key) return &e;
  }
  return nullptr;
}

AisReassembler::Entry& AisReassembler::allocate() {
  Entry* oldest = nullptr;
  for (Entry& e : entries_) {
    if (!e.used) return e;
    if (!oldest || e.started_ns < oldest->started_ns) oldest = &e;
  }
  ++dropped_;  // the table is full: the oldest partial message gives way
  oldest->used = false;
  return *oldest;
}

Decoded<std::optional<AisBits>> AisReassembler::feed(const AisFragment& f, std::int64_t now_ns) {
  if (f.count == 1) {
    auto bits = AisBits::from_armored(f.payload, f.fill);
    if (!bits) return bits.reject();
    return std::optional<AisBits>(*bits);
  }
  if (entries_.empty()) return Reject::incomplete_multipart;
  expire(now_ns);
  key_.assign(f.address);
  key_.push_back(',');
  key_.push_back(f.sequence_id ? static_cast<char>('0' + *f.sequence_id) : '-');
  key_.push_back(f.channel ? f.channel : '-');
  key_.push_back(static_cast<char>('0' + f.count));

  Entry* entry = find(key_);
  if (f.number == 1) {
    if (entry) {
      ++dropped_;  // a new message under the same key: the old one will never complete
    } else {
      entry = &allocate();
    }
    entry->used = true;
    entry->key = key_;
    entry->count = f.count;
    entry->next = 2;
    entry->started_ns = now_ns;
    entry->payload.assign(f.payload.substr(0, kMaxAisPayloadChars));
    if (f.payload.size() > kMaxAisPayloadChars) {
      entry->used = false;
      return Reject::bad_field;
    }
    return std::optional<AisBits>{};
  }
  if (!entry || entry->next != f.number) {
    if (entry) entry->used = false;
    return Reject::incomplete_multipart;
  }
  if (entry->payload.size() + f.payload.size() > kMaxAisPayloadChars) {
    entry->used = false;
    return Reject::bad_field;
  }
  entry->payload.append(f.payload);
  if (f.number < f.count) {
    ++entry->next;
    return std::optional<AisBits>{};
  }
  entry->used = false;
  auto bits = AisBits::from_armored(entry->payload, f.fill);
  if (!bits) return bits.reject();
  return std::optional<AisBits>(*bits);
}

}  // namespace enlace::gateway::nmea
