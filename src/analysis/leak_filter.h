#pragma once
// The memory-leak detector's second opinion at 1 sample/s (docs/analysis.md "Memory
// leaks", step 3c): a Rao–Blackwellised particle filter over a sawtooth sampled once per
// second, `v = F + D·phase + noise`. Particles carry the sawtooth's phase, its apparent
// frequency (cycles per sample, -0.5..0.5: collections faster than the sampling show as a
// slow, forward or reversed beat) and the noise; given them, the floor F, its velocity V
// and the depth D are linear-Gaussian, one small Kalman filter per particle. Each sample
// may fall in a cycle of its own depth (±30 %), so the depth's share of a sample's spread
// grows with its phase. The floor's velocity is the evidence: Rising() says it has reached
// the leak threshold, stands `z` posterior standard deviations above zero, and rose by as
// much over the last 45 s (a warm-up levelling off does not), two samples in a row.
// Deterministic: a fixed seed, so the same series gives the same answers.
// Cost per sample: O(particles) (500: about 100 µs).
//
// Thread safety: not thread-safe; one owner appends and reads.
#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace perfwatch::analysis {

class SawtoothFilter {
 public:
  // threshold_ratio_per_min: the detector's growth threshold (0.05 = 5 %/min).
  explicit SawtoothFilter(double threshold_ratio_per_min);

  // Appends the next sample (t_ms ascending, about 1 s apart); updates Rising().
  void Append(int64_t t_ms, double value);
  bool Rising() const { return held_ >= 2; }

 private:
  using Cov = std::array<double, 9>;  // 3x3, row-major: floor, velocity, depth
  struct Particle {
    double phase, freq, sigma;
    std::array<double, 3> x;
    Cov c;
  };
  void Start();
  void Step(Particle& p, double v, double* log_weight);

  double threshold_per_s_;  // of the floor, per second
  std::mt19937 rng_{20261207};
  std::normal_distribution<double> normal_{0, 1};
  std::uniform_real_distribution<double> uniform_{0, 1};
  std::vector<Particle> particles_, resampled_;  // allocated by Start()
  std::vector<double> weights_;
  std::vector<double> first_;  // the first samples, relative to scale_
  double scale_ = 0;
  int64_t samples_ = 0;
  struct Velocity {
    int64_t t;
    double v;
  };
  std::deque<Velocity> velocities_;  // the posterior mean's last 45 s and the one before
  int held_ = 0;
};

}  // namespace perfwatch::analysis
