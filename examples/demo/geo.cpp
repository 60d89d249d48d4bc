#include "geo.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace demo::geo {
namespace {

constexpr double kEarthRadiusM = 6'371'008.8;  // mean radius
constexpr double kDeg = std::numbers::pi / 180.0;

}  // namespace

double distance_m(Point a, Point b) noexcept {
  const double dlat = (b.lat - a.lat) * kDeg;
  const double dlon = (b.lon - a.lon) * kDeg;
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(a.lat * kDeg) * std::cos(b.lat * kDeg) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

double bearing_deg(Point a, Point b) noexcept {
  const double lat1 = a.lat * kDeg, lat2 = b.lat * kDeg, dlon = (b.lon - a.lon) * kDeg;
  const double y = std::sin(dlon) * std::cos(lat2);
  const double x =
      std::cos(lat1) * std::sin(lat2) - std::sin(lat1) * std::cos(lat2) * std::cos(dlon);
  const double deg = std::atan2(y, x) / kDeg;
  return deg < 0 ? deg + 360.0 : deg;
}

Point destination(Point from, double bearing, double distance) noexcept {
  const double d = distance / kEarthRadiusM, theta = bearing * kDeg;
  const double lat1 = from.lat * kDeg, lon1 = from.lon * kDeg;
  const double lat2 =
      std::asin(std::sin(lat1) * std::cos(d) + std::cos(lat1) * std::sin(d) * std::cos(theta));
  const double lon2 = lon1 + std::atan2(std::sin(theta) * std::sin(d) * std::cos(lat1),
                                        std::cos(d) - std::sin(lat1) * std::sin(lat2));
  return {lat2 / kDeg, std::remainder(lon2 / kDeg, 360.0)};
}

Route::Route(std::vector<Point> waypoints, bool closed) : points_(std::move(waypoints)) {
  if (points_.size() < 2) throw std::invalid_argument("a route needs at least two waypoints");
  if (closed) points_.push_back(points_.front());
  cumulative_.reserve(points_.size());
  cumulative_.push_back(0);
  for (std::size_t i = 1; i < points_.size(); ++i) {
    cumulative_.push_back(cumulative_.back() + distance_m(points_[i - 1], points_[i]));
  }
}

Route Route::back_and_forth(std::vector<Point> waypoints) {
  // Unrolled into one closed path (there, then back), so at() has a single case.
  std::vector<Point> path = waypoints;
  for (std::size_t i = waypoints.size() - 1; i-- > 1;) path.push_back(waypoints[i]);
  return Route(std::move(path), true);
}

Route Route::loop(std::vector<Point> waypoints) {
  return Route(std::move(waypoints), true);
}

Route Route::beat(Point centre, double radius_m, int corners) {
  std::vector<Point> points;
  for (int i = 0; i < corners; ++i) {
    points.push_back(destination(centre, 360.0 * i / corners, radius_m));
  }
  return loop(std::move(points));
}

Route::Fix Route::at(double travelled_m) const noexcept {
  const double length = cumulative_.back();
  double s = std::fmod(travelled_m, length);
  if (s < 0) s += length;
  std::size_t leg = 1;
  while (leg + 1 < cumulative_.size() && cumulative_[leg] < s) ++leg;
  const Point a = points_[leg - 1], b = points_[leg];
  const double leg_length = cumulative_[leg] - cumulative_[leg - 1];
  const double f = leg_length > 0 ? (s - cumulative_[leg - 1]) / leg_length : 0;
  // Linear interpolation in degrees: legs are a few kilometres long.
  const Point here{a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f};
  return {here, bearing_deg(a, b)};
}

std::string format(Point p) {
  return fmt::format("{:.4f}°{} {:.4f}°{}", std::fabs(p.lat), p.lat < 0 ? 'S' : 'N',
                     std::fabs(p.lon), p.lon < 0 ? 'W' : 'E');
}

}  // namespace demo::geo
