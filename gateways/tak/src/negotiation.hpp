// The control events of a TAK stream: the protocol negotiation that moves a client from
// XML to TAK Protocol version 1 (t-x-takp-v, t-x-takp-q, t-x-takp-r) and the ping
// (t-x-c-t, answered with t-x-c-t-r). They travel as CoT events but never reach the bus.
//
// Pure functions; safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "cot_event.hpp"

namespace enlace::tak {

inline constexpr std::string_view kTypeProtocolOffer = "t-x-takp-v";
inline constexpr std::string_view kTypeProtocolRequest = "t-x-takp-q";
inline constexpr std::string_view kTypeProtocolResponse = "t-x-takp-r";
inline constexpr std::string_view kTypePing = "t-x-c-t";
inline constexpr std::string_view kTypePong = "t-x-c-t-r";

/// What the gateway sends first on a stream: the versions it supports (1), as
/// <TakControl><TakProtocolSupport version="1"/></TakControl>.
CotEvent protocol_offer(std::int64_t now_ms);

/// The answer to a client's request: <TakControl><TakResponse status="true|false"/>.
CotEvent protocol_response(std::string_view gateway_uid, bool accepted, std::int64_t now_ms);

/// The answer to a client's t-x-c-t ping.
CotEvent ping_reply(std::string_view gateway_uid, std::int64_t now_ms);

/// The version a t-x-takp-q asks for (<TakControl><TakRequest version="N"/>); nullopt for
/// another event type or a request without a readable version.
std::optional<std::uint32_t> requested_version(const CotEvent& event);

/// Whether the event is a control event of the stream (t-x-takp-*, t-x-c-t*), which the
/// gateway handles itself and never maps to the bus.
bool is_stream_control(const CotEvent& event) noexcept;

}  // namespace enlace::tak
