#include "analysis/leak_filter.h"

#include <algorithm>
#include <cmath>

namespace perfwatch::analysis {
namespace {

constexpr int kParticles = 500;
constexpr int kStartSamples = 10;  // the first samples set the floor and depth to start from
constexpr int kFreeSamples = 40;   // until then the floor and its velocity move freely (a warm-up)
constexpr double kPhaseStep = 0.025;  // the phase's random walk per sample (a period's jitter)
constexpr double kFreqStep = 0.002;   // the apparent frequency's, cycles per sample
constexpr double kFloorStep = 0.0005, kFreeFloorStep = 0.01;  // the floor's, of the floor
constexpr double kVelocityStep = 0.00005,
                 kFreeVelocityStep = 0.001;  // the velocity's, of the scale per sample
constexpr double kDepthStep = 0.01;          // the depth's, relative
constexpr double kDepthSpread = 0.17;  // a cycle's depth: sd relative to the mean (±30 % uniform)
constexpr double kSigmaStep = 0.01;    // the noise's log random walk
constexpr double kZ = 3;               // the velocity's posterior mean over its sd, at least
constexpr double kRateShare = 0.6;     // the velocity: at least this × the threshold
constexpr int64_t kRiseMs = 45'000;    // and it rose by as much over this

}  // namespace

SawtoothFilter::SawtoothFilter(double threshold_ratio_per_min)
    : threshold_per_s_(kRateShare * threshold_ratio_per_min / 60) {}

// The particles are allocated here, at the first samples a second apart, not with the
// detector: at coarser intervals (the leak watch's 15 s) the filter never starts.
void SawtoothFilter::Start() {
  particles_.resize(kParticles);
  resampled_.resize(kParticles);
  weights_.resize(kParticles);
  const auto [lo, hi] = std::minmax_element(first_.begin(), first_.end());
  const double range = std::max(0.01, *hi - *lo);
  for (Particle& p : particles_) {
    p.phase = uniform_(rng_);
    p.freq = uniform_(rng_) - 0.5;
    p.sigma = 0.001 * std::pow(10.0, uniform_(rng_));  // 0.1-1 % of the level
    p.x = {*lo, 0, range};
    p.c = {0.05 * 0.05, 0, 0, 0, 1e-6, 0, 0, 0, range * range};
  }
}

// Moves one particle a sample on and updates its Kalman filter with v; *log_weight is the
// sample's log-likelihood under it.
void SawtoothFilter::Step(Particle& p, double v, double* log_weight) {
  p.phase += p.freq + kPhaseStep * normal_(rng_);
  p.phase -= std::floor(p.phase);
  p.freq += kFreqStep * normal_(rng_);
  if (p.freq > 0.5) p.freq -= 1;
  if (p.freq < -0.5) p.freq += 1;
  const bool free = samples_ < kFreeSamples;
  const double floor_step = free ? kFreeFloorStep : kFloorStep;
  const double velocity_step = free ? kFreeVelocityStep : kVelocityStep;
  // Predict: the floor moves by its velocity; C = A C A' + Q with A = [[1,1,0],[0,1,0],[0,0,1]].
  auto& x = p.x;
  auto& c = p.c;
  x[0] += x[1];
  Cov ac = c;
  for (int j = 0; j < 3; ++j) ac[j] = c[j] + c[3 + j];
  for (int r = 0; r < 3; ++r) c[r * 3] = ac[r * 3] + ac[r * 3 + 1];
  for (int r = 0; r < 3; ++r) c[r * 3 + 1] = ac[r * 3 + 1], c[r * 3 + 2] = ac[r * 3 + 2];
  c[0] += floor_step * floor_step * x[0] * x[0];
  c[4] += velocity_step * velocity_step;
  c[8] += kDepthStep * kDepthStep * x[2] * x[2];
  p.sigma *= std::exp(kSigmaStep * normal_(rng_));
  // Observe v = floor + phase × depth.
  const double h2 = p.phase;
  double ch[3];
  for (int r = 0; r < 3; ++r) ch[r] = c[r * 3] + c[r * 3 + 2] * h2;
  const double depth = std::max(x[2], 0.0);
  const double noise =
      std::pow(kDepthSpread * depth * p.phase, 2) + std::pow(p.sigma * x[0], 2) + 1e-10;
  const double s = ch[0] + ch[2] * h2 + noise;
  const double innovation = v - (x[0] + h2 * x[2]);
  *log_weight = -0.5 * innovation * innovation / s - 0.5 * std::log(s);
  double k[3];
  for (int r = 0; r < 3; ++r) k[r] = ch[r] / s;
  for (int r = 0; r < 3; ++r) x[r] += k[r] * innovation;
  for (int r = 0; r < 3; ++r) {
    for (int j = 0; j < 3; ++j) c[r * 3 + j] -= k[r] * ch[j];
  }
}

void SawtoothFilter::Append(int64_t t_ms, double value) {
  if (samples_ == 0) scale_ = value;
  const double v = value / scale_;
  if (samples_ < kStartSamples) {
    first_.push_back(v);
    if (++samples_ == kStartSamples) Start();
    return;
  }
  double most = -1e300;
  for (int i = 0; i < kParticles; ++i) {
    Step(particles_[i], v, &weights_[i]);  // the log-likelihood, made a weight below
    most = std::max(most, weights_[i]);
  }
  double sum = 0;
  for (double& w : weights_) sum += w = std::exp(w - most);
  double floor = 0, velocity = 0, velocity2 = 0;
  for (int i = 0; i < kParticles; ++i) {
    const double w = weights_[i] /= sum;
    floor += w * particles_[i].x[0];
    velocity += w * particles_[i].x[1];
    velocity2 += w * (particles_[i].x[1] * particles_[i].x[1] + particles_[i].c[4]);
  }
  const double velocity_sd = std::sqrt(std::max(0.0, velocity2 - velocity * velocity));
  // Systematic resampling.
  const double step = 1.0 / kParticles;
  const double start = uniform_(rng_) * step;
  double cumulative = weights_[0];
  int j = 0;
  for (int i = 0; i < kParticles; ++i) {
    const double target = start + i * step;
    while (cumulative < target && j < kParticles - 1) cumulative += weights_[++j];
    resampled_[i] = particles_[j];
  }
  std::swap(particles_, resampled_);
  ++samples_;
  // The velocity now, and whether it rose over the last kRiseMs: against the latest one
  // kRiseMs old or older, which the pruning leaves in front.
  const double least = threshold_per_s_ * floor;  // per sample at 1 sample/s
  while (velocities_.size() > 1 && velocities_[1].t <= t_ms - kRiseMs) velocities_.pop_front();
  const bool rose = !velocities_.empty() && velocities_.front().t <= t_ms - kRiseMs &&
                    velocity - velocities_.front().v >= least;
  velocities_.push_back({t_ms, velocity});
  const bool on = rose && velocity >= least && velocity >= kZ * velocity_sd;
  held_ = on ? held_ + 1 : 0;
}

}  // namespace perfwatch::analysis
