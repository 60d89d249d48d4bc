// Just enough geodesy to move simulated patrols and contacts plausibly: a spherical earth
// (errors well under 0.5 % at these distances, far below a radar's) and routes that map
// "metres travelled" to a position and a course.
#pragma once

#include <string>
#include <vector>

namespace demo::geo {

/// WGS 84 decimal degrees, north and east positive.
struct Point {
  double lat = 0;
  double lon = 0;
};

double distance_m(Point a, Point b) noexcept;
/// Initial course from `a` to `b`, degrees true in [0, 360).
double bearing_deg(Point a, Point b) noexcept;
/// The point `distance` metres from `from` on initial course `bearing`.
Point destination(Point from, double bearing_deg, double distance_m) noexcept;

/// A path a unit or a contact keeps travelling on.
class Route {
 public:
  /// Up a reach of river and back down again, for ever.
  static Route back_and_forth(std::vector<Point> waypoints);
  /// Round a closed circuit (the last waypoint leads back to the first).
  static Route loop(std::vector<Point> waypoints);
  /// A circuit of `corners` points at `radius_m` around `centre`: a foot patrol's beat.
  static Route beat(Point centre, double radius_m, int corners = 8);

  struct Fix {
    Point point;
    double course_deg = 0;
  };
  /// Where a traveller is after `travelled_m` metres from the first waypoint.
  Fix at(double travelled_m) const noexcept;

 private:
  Route(std::vector<Point> waypoints, bool closed);

  std::vector<Point> points_;       // for back_and_forth: there and back, unrolled
  std::vector<double> cumulative_;  // distance from the start to points_[i]
};

/// "0.2031°S 74.7124°W"
std::string format(Point p);

}  // namespace demo::geo
