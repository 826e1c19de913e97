// N independent envs stepped in one call. Each env owns a contiguous slice of the shared
// buffers; worker threads take contiguous ranges of envs, so results never depend on the
// thread count. A finished env is reset at the start of the next step() (its actions for
// that step are ignored), unless reset() is called for it first.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mettagrid/env.hpp"
#include "mettagrid/rules.hpp"
#include "mettagrid/thread_pool.hpp"

namespace mettagrid {

class VecEnv {
 public:
  VecEnv(GameConfig cfg, int num_envs, uint64_t seed, int num_threads, bool desync_episodes);

  const Rules& rules() const { return rules_; }
  int num_envs() const { return static_cast<int>(envs_.size()); }
  int num_threads() const { return pool_.size(); }
  Env& env(int i) { return *envs_[i]; }

  // Pointers to [num_envs * agent slots (* tokens * 3)] arrays that outlive their use here.
  void set_buffers(uint8_t* obs, float* rewards, bool* terminals, bool* truncations,
                   bool* action_success, bool* active);
  void seed(uint64_t seed);
  // Resets the envs whose mask entry is true (all of them when mask is null).
  void reset(const bool* mask);

  // Curriculum tasks: a variant of the batch's config compiled once (throws if it is not
  // shaped like the batch, see check_same_shape) and played by any env it is assigned to,
  // from that env's next reset (the episode under way, if any, finishes under its rules).
  std::shared_ptr<const Rules> compile_task(GameConfig cfg) const;
  void assign_task(int env, std::shared_ptr<const Rules> task);
  void step(const int32_t* actions);
  // Env i's saved state, and its restoration playing `task` (null: the batch's rules), as a
  // resumed run needs them; any task pending for that env is dropped.
  std::string save_state(int env) const;
  void load_state(int env, std::shared_ptr<const Rules> task, const std::string& state);

 private:
  static void reset_job(void* self, int worker);
  static void step_job(void* self, int worker);
  void range(int worker, int* begin, int* end) const;

  Rules rules_;
  std::vector<std::unique_ptr<Env>> envs_;
  void reset_env(int i);  // applies a pending task, then resets env i

  std::vector<std::shared_ptr<const Rules>> env_tasks_;      // per env; null = the batch's rules_
  std::vector<std::shared_ptr<const Rules>> pending_tasks_;  // per env: applied at its next reset
  ThreadPool pool_;
  bool buffers_set_ = false;
  const bool* reset_mask_ = nullptr;
  const int32_t* actions_ = nullptr;
};

}  // namespace mettagrid
