#include "mettagrid/vec_env.hpp"

#include <stdexcept>

namespace mettagrid {

VecEnv::VecEnv(GameConfig cfg, int num_envs, uint64_t seed, int num_threads, bool desync_episodes)
    : rules_(std::move(cfg)), pool_(num_threads < 1 ? 1 : num_threads) {
  if (num_envs < 1) throw std::invalid_argument("num_envs must be >= 1");
  if (num_threads < 1) throw std::invalid_argument("num_threads must be >= 1");
  envs_.reserve(num_envs);
  env_tasks_.resize(num_envs);
  pending_tasks_.resize(num_envs);
  for (int i = 0; i < num_envs; ++i) {
    envs_.push_back(std::make_unique<Env>(rules_, splitmix64(seed + static_cast<uint64_t>(i)),
                                          desync_episodes));
  }
}

std::shared_ptr<const Rules> VecEnv::compile_task(GameConfig cfg) const {
  // A task plays in the batch's agent slots unless it names its own (which must then match).
  if (cfg.max_agents == 0) cfg.max_agents = rules_.cfg.slots();
  cfg.validate();
  auto task = std::make_shared<const Rules>(std::move(cfg));
  check_same_shape(rules_, *task);
  return task;
}

void VecEnv::assign_task(int env, std::shared_ptr<const Rules> task) {
  if (env < 0 || env >= num_envs()) throw std::out_of_range("env index out of range");
  if (!task) throw std::invalid_argument("task is null");
  pending_tasks_[env] = std::move(task);
}

std::string VecEnv::save_state(int env) const {
  if (env < 0 || env >= num_envs()) throw std::out_of_range("env index out of range");
  return envs_[env]->save_state();
}

void VecEnv::load_state(int env, std::shared_ptr<const Rules> task, const std::string& state) {
  if (env < 0 || env >= num_envs()) throw std::out_of_range("env index out of range");
  if (task) check_same_shape(rules_, *task);
  envs_[env]->load_state(task ? *task : rules_, state);
  env_tasks_[env] = std::move(task);
  pending_tasks_[env].reset();
}

void VecEnv::reset_env(int i) {
  if (pending_tasks_[i]) {
    envs_[i]->set_rules(*pending_tasks_[i]);
    env_tasks_[i] = std::move(pending_tasks_[i]);  // keeps the rules alive while played
  }
  envs_[i]->reset();
}

void VecEnv::seed(uint64_t seed) {
  for (int i = 0; i < num_envs(); ++i) envs_[i]->seed(splitmix64(seed + static_cast<uint64_t>(i)));
}

void VecEnv::set_buffers(uint8_t* obs, float* rewards, bool* terminals, bool* truncations,
                         bool* action_success, bool* active) {
  const size_t A = rules_.cfg.slots();
  const size_t obs_stride = A * rules_.cfg.num_observation_tokens * 3;
  for (size_t i = 0; i < envs_.size(); ++i) {
    envs_[i]->set_buffers(Buffers{obs + i * obs_stride, rewards + i * A, terminals + i * A,
                                  truncations + i * A, action_success + i * A, active + i * A});
  }
  buffers_set_ = true;
}

void VecEnv::range(int worker, int* begin, int* end) const {
  const int n = num_envs(), w = pool_.size();
  *begin = static_cast<int>(static_cast<long>(n) * worker / w);
  *end = static_cast<int>(static_cast<long>(n) * (worker + 1) / w);
}

void VecEnv::reset_job(void* self, int worker) {
  auto* v = static_cast<VecEnv*>(self);
  int b, e;
  v->range(worker, &b, &e);
  for (int i = b; i < e; ++i) {
    if (v->reset_mask_ == nullptr || v->reset_mask_[i]) v->reset_env(i);
  }
}

void VecEnv::step_job(void* self, int worker) {
  auto* v = static_cast<VecEnv*>(self);
  const int A = v->rules_.cfg.slots();
  int b, e;
  v->range(worker, &b, &e);
  for (int i = b; i < e; ++i) {
    Env& env = *v->envs_[i];
    if (env.done()) {
      v->reset_env(i);
    } else {
      env.step(v->actions_ + static_cast<size_t>(i) * A);
    }
  }
}

void VecEnv::reset(const bool* mask) {
  if (!buffers_set_) throw std::logic_error("set_buffers must be called before reset");
  reset_mask_ = mask;
  pool_.run(&VecEnv::reset_job, this);
  reset_mask_ = nullptr;
}

void VecEnv::step(const int32_t* actions) {
  if (!buffers_set_) throw std::logic_error("set_buffers must be called before step");
  actions_ = actions;
  pool_.run(&VecEnv::step_job, this);
  actions_ = nullptr;
}

}  // namespace mettagrid
