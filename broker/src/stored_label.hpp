// The releasability a stored envelope declares (the COP cache's, a journal's), read again
// when the message is sent from the store. The label passed the broker's checks when the
// message was published; the policy in force decides what it means now.
#pragma once

#include <string_view>
#include <vector>

#include "enlace/policy/policy.hpp"
#include "enlace/wire.hpp"

namespace enlace::broker {

inline void read_stored_label(const wire::Envelope& envelope,
                              std::vector<std::string_view>& nations,
                              policy::Classification& classification) {
  nations.clear();
  classification = policy::Classification::unmarked;
  const auto* label = envelope.label();
  if (label == nullptr) return;
  classification = static_cast<policy::Classification>(label->classification());
  if (const auto* codes = label->releasable_to()) {
    for (const auto* code : *codes) nations.push_back(code->string_view());
  }
}

}  // namespace enlace::broker
