#include "common/reject.hpp"

namespace enlace::gateway {

std::string_view to_string(Reject reason) noexcept {
  switch (reason) {
    case Reject::too_long:
      return "too_long";
    case Reject::malformed:
      return "malformed";
    case Reject::checksum:
      return "checksum";
    case Reject::unknown_sentence:
      return "unknown_sentence";
    case Reject::bad_field:
      return "bad_field";
    case Reject::no_fix:
      return "no_fix";
    case Reject::incomplete_multipart:
      return "incomplete_multipart";
    case Reject::bad_tag_block:
      return "bad_tag_block";
    case Reject::bad_length:
      return "bad_length";
    case Reject::unknown_radio:
      return "unknown_radio";
    case Reject::table_full:
      return "table_full";
    case Reject::publish_failed:
      return "publish_failed";
  }
  return "unknown";
}

const std::array<Reject, kRejectCount>& all_rejects() noexcept {
  static constexpr std::array<Reject, kRejectCount> kAll = {Reject::too_long,
                                                            Reject::malformed,
                                                            Reject::checksum,
                                                            Reject::unknown_sentence,
                                                            Reject::bad_field,
                                                            Reject::no_fix,
                                                            Reject::incomplete_multipart,
                                                            Reject::bad_tag_block,
                                                            Reject::bad_length,
                                                            Reject::unknown_radio,
                                                            Reject::table_full,
                                                            Reject::publish_failed};
  return kAll;
}

}  // namespace enlace::gateway
