// An env's whole mutable state as bytes, so a resumed training run continues its episodes and
// random streams exactly where the checkpoint left them. The bytes are only meaningful to the
// same build and the same rules (a header pins both); loading checks every count and index
// against the rules before anything is replaced, because a checkpoint is a file a user may hand
// us: a malformed state is refused with std::invalid_argument and leaves the env as it was.
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "mettagrid/env.hpp"

namespace mettagrid {

namespace {

constexpr char kMagic[4] = {'M', 'G', 'S', '1'};

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void bytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  template <typename T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof(T));
  }
  template <typename T>
  void vector(const std::vector<T>& v) {
    value(static_cast<uint64_t>(v.size()));
    bytes(v.data(), v.size() * sizeof(T));
  }
  void text(const std::string& s) {
    value(static_cast<uint64_t>(s.size()));
    bytes(s.data(), s.size());
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  Reader(const std::string& in) : in_(in) {}
  void bytes(void* p, size_t n) {
    if (n > in_.size() - pos_) fail("it ends early");
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  template <typename T>
  T value() {
    T v;
    bytes(&v, sizeof(T));
    return v;
  }
  // At most `limit` elements (the env's own capacity): a hostile count cannot allocate.
  template <typename T>
  std::vector<T> vector(size_t limit, const char* what) {
    const uint64_t n = value<uint64_t>();
    if (n > limit) fail(std::string(what) + " has more entries than this env can hold");
    std::vector<T> v(n);
    bytes(v.data(), n * sizeof(T));
    return v;
  }
  std::string text(size_t limit) {
    const uint64_t n = value<uint64_t>();
    if (n > limit) fail("a random generator's state is too long");
    std::string s(n, '\0');
    bytes(s.data(), n);
    return s;
  }
  bool at_end() const { return pos_ == in_.size(); }
  [[noreturn]] static void fail(const std::string& why) {
    throw std::invalid_argument("not a saved state of this env: " + why);
  }

 private:
  const std::string& in_;
  size_t pos_ = 0;
};

std::string rng_text(const Rng& rng) {
  std::ostringstream s;
  s << rng;
  return s.str();
}

Rng rng_from(const std::string& text) {
  std::istringstream s(text);
  Rng rng;
  s >> rng;
  if (!s) Reader::fail("a random generator's state does not parse");
  return rng;
}

void check(bool ok, const char* why) {
  if (!ok) Reader::fail(why);
}

}  // namespace

std::vector<uint32_t> Env::layout(const Rules& rules) const {
  std::vector<uint32_t> out = {sizeof(GridObject),
                               sizeof(AgentState),
                               sizeof(ConverterState),
                               sizeof(ChestState),
                               sizeof(AssemblerState),
                               sizeof(Event),
                               static_cast<uint32_t>(rules.height),
                               static_cast<uint32_t>(rules.width),
                               static_cast<uint32_t>(A_),
                               static_cast<uint32_t>(R_),
                               static_cast<uint32_t>(S_),
                               static_cast<uint32_t>(T_),
                               static_cast<uint32_t>(rules.padded_cells),
                               static_cast<uint32_t>(rules.num_groups)};
  for (const ObjectConfig& o : rules.cfg.objects) out.push_back(static_cast<uint32_t>(o.kind));
  return out;
}

std::string Env::save_state() const {
  std::string out;
  Writer w(out);
  w.bytes(kMagic, sizeof(kMagic));
  w.vector(layout(*rules_));
  w.value(current_step_);
  w.value(episode_limit_);
  w.value(episode_seed_);
  w.value(done_);
  w.value(desync_pending_);
  w.value(event_seq_);
  w.text(rng_text(step_rng_));
  w.text(rng_text(map_rng_));
  w.vector(cells_);
  w.vector(map_cells_);
  w.vector(objects_);
  w.vector(agents_);
  w.vector(converters_);
  w.vector(chests_);
  w.vector(chest_ledger_);
  w.vector(assemblers_);
  w.vector(agent_inv_);
  w.vector(conv_inv_);
  w.vector(agent_stats_);
  w.vector(game_stats_);
  w.vector(events_);
  w.vector(order_);
  w.vector(group_sum_);
  w.vector(group_in_);
  w.vector(group_size_);
  // What the last step wrote for this env's agents (observations, rewards, flags).
  w.bytes(buf_.obs, static_cast<size_t>(A_) * T_ * 3);
  w.bytes(buf_.rewards, A_ * sizeof(float));
  w.bytes(buf_.terminals, A_ * sizeof(bool));
  w.bytes(buf_.truncations, A_ * sizeof(bool));
  w.bytes(buf_.action_success, A_ * sizeof(bool));
  return out;
}

void Env::load_state(const Rules& rules, const std::string& state) {
  if (!buf_.obs) throw std::logic_error("set_buffers must be called before load_state");
  Reader in(state);
  char magic[4];
  in.bytes(magic, sizeof(magic));
  check(std::memcmp(magic, kMagic, sizeof(kMagic)) == 0, "it does not start like one");
  check(in.vector<uint32_t>(1 << 16, "the layout") == layout(rules),
        "it was saved by another build of the engine or for another game");
  const auto current_step = in.value<int>();
  const auto episode_limit = in.value<int>();
  const auto episode_seed = in.value<uint32_t>();
  const auto done = in.value<uint8_t>();
  const auto desync_pending = in.value<uint8_t>();
  const auto event_seq = in.value<uint32_t>();
  check(done <= 1 && desync_pending <= 1, "a flag is neither true nor false");
  const Rng step_rng = rng_from(in.text(1 << 16));
  const Rng map_rng = rng_from(in.text(1 << 16));
  const int H = rules.height, W = rules.width;  // the saved episode's task's map
  const size_t cells = static_cast<size_t>(H) * W;
  auto cell_table = in.vector<uint32_t>(cells_.size(), "the grid");  // the batch's padded grid
  auto map_cells = in.vector<uint16_t>(cells, "the map");
  auto objects = in.vector<GridObject>(cells + 1, "the objects");
  auto agents = in.vector<AgentState>(A_, "the agents");
  auto converters = in.vector<ConverterState>(cells, "the converters");
  auto chests = in.vector<ChestState>(cells, "the chests");
  auto ledger = in.vector<uint16_t>(cells * kChestRing, "the chest ledger");
  auto assemblers = in.vector<AssemblerState>(cells, "the assemblers");
  auto agent_inv = in.vector<uint8_t>(agent_inv_.size(), "the agents' inventories");
  auto conv_inv = in.vector<uint8_t>(cells * R_, "the converters' inventories");
  auto agent_stats = in.vector<float>(agent_stats_.size(), "the agents' stats");
  auto game_stats = in.vector<float>(game_stats_.size(), "the game's stats");
  auto events = in.vector<Event>(2 * cells + 16, "the event queue");
  auto order = in.vector<int>(order_.size(), "the action order");
  auto group_sum = in.vector<float>(group_sum_.size(), "the group sums");
  auto group_in = in.vector<float>(group_in_.size(), "the group shares");
  auto group_size = in.vector<int>(group_size_.size(), "the group sizes");
  std::string last(static_cast<size_t>(A_) * (T_ * 3 + sizeof(float) + 3 * sizeof(bool)), '\0');
  in.bytes(last.data(), last.size());
  check(in.at_end(), "it has bytes after its end");
  for (size_t i = static_cast<size_t>(A_) * (T_ * 3 + sizeof(float)); i < last.size(); ++i) {
    check(static_cast<uint8_t>(last[i]) <= 1, "a done flag is neither true nor false");
  }

  // Every count and index the engine trusts while stepping.
  check(cell_table.size() == cells_.size() && map_cells.size() == cells,
        "the grid is not this game's size");
  check(agents.size() == static_cast<size_t>(rules.cfg.num_agents) || (done && agents.empty()),
        "it has another number of agents");
  check(objects.empty() ? agents.empty() : true, "it has agents but no objects");
  check(agent_inv.size() == agent_inv_.size() && agent_stats.size() == agent_stats_.size() &&
            game_stats.size() == game_stats_.size() && order.size() == order_.size() &&
            group_sum.size() == group_sum_.size() && group_in.size() == group_in_.size() &&
            group_size.size() == group_size_.size(),
        "a table is not this game's size");
  check(conv_inv.size() == converters.size() * R_ && ledger.size() == chests.size() * kChestRing,
        "an inventory table does not match its objects");
  const size_t num_objects = objects.size(), num_configs = rules.cfg.objects.size();
  for (size_t id = 1; id < num_objects; ++id) {
    const GridObject& o = objects[id];
    check(o.r < H && o.c < W, "an object lies outside the map");
    if (o.is_agent) {
      check(o.sub >= 0 && static_cast<size_t>(o.sub) < agents.size(),
            "an agent index is out of range");
      continue;
    }
    check(o.cfg >= 0 && static_cast<size_t>(o.cfg) < num_configs, "an object has an unknown type");
    const ObjectKind kind = rules.cfg.objects[o.cfg].kind;
    const size_t limit = kind == ObjectKind::Converter   ? converters.size()
                         : kind == ObjectKind::Chest     ? chests.size()
                         : kind == ObjectKind::Assembler ? assemblers.size()
                                                         : 0;
    check(limit == 0 ? o.sub == -1 : (o.sub >= 0 && static_cast<size_t>(o.sub) < limit),
          "an object's index is out of range");
  }
  for (const AgentState& a : agents) {
    check(a.object_id > 0 && a.object_id < num_objects && objects[a.object_id].is_agent,
          "an agent's object is not an agent");
    check(a.group < rules.num_groups, "an agent is in an unknown group");
    check(a.alive <= 1 && a.respawn_at >= -1 && a.spawn_r < H && a.spawn_c < W,
          "an agent's life (alive, return step, spawn cell) is out of range");
  }
  auto owns = [&](uint32_t id, int16_t cfg) {
    return id > 0 && id < num_objects && !objects[id].is_agent && cfg >= 0 &&
           static_cast<size_t>(cfg) < num_configs && objects[id].cfg == cfg;
  };
  for (const ConverterState& c : converters)
    check(owns(c.object_id, c.cfg), "a converter's object is wrong");
  for (const ChestState& c : chests) check(owns(c.object_id, c.cfg), "a chest's object is wrong");
  for (const AssemblerState& s : assemblers) {
    check(owns(s.object_id, s.cfg), "an assembler's object is wrong");
    check(s.unclip >= -1 && s.unclip < static_cast<int32_t>(rules.cfg.clipper.unclipping.size()),
          "an assembler names an unknown unclipping protocol");
  }
  for (uint16_t by : ledger)
    check(by == kNoDepositor || by < A_, "a chest names an unknown depositor");
  for (uint32_t cell : cell_table) {
    check((cell & 0xffffu) <= static_cast<uint32_t>(agents.size()) && (cell >> 16) < num_objects,
          "a grid cell names an unknown object");
  }
  for (const Event& e : events) {
    check(e.converter >= 0 && static_cast<size_t>(e.converter) < converters.size() && e.type <= 1,
          "an event names an unknown converter");
  }
  for (int a : order) check(a >= 0 && a < A_, "the action order names an unknown agent");
  for (int g : group_size) check(g >= 0 && g <= A_, "a group size is out of range");

  if (rules_ != &rules) {  // a curriculum task other than the one the env plays now
    rules_ = &rules;
    cfg_ = &rules.cfg;
    map_builder_ = std::make_unique<MapBuilder>(rules.cfg);
    H_ = H;
    W_ = W;
  }
  current_step_ = current_step;
  episode_limit_ = episode_limit;
  episode_seed_ = episode_seed;
  done_ = done != 0;
  desync_pending_ = desync_pending != 0;
  event_seq_ = event_seq;
  step_rng_ = step_rng;
  map_rng_ = map_rng;
  // assign() keeps each table's capacity (all fit what the constructor reserved).
  cells_.assign(cell_table.begin(), cell_table.end());
  map_cells_.assign(map_cells.begin(), map_cells.end());
  objects_.assign(objects.begin(), objects.end());
  agents_.assign(agents.begin(), agents.end());
  converters_.assign(converters.begin(), converters.end());
  chests_.assign(chests.begin(), chests.end());
  chest_ledger_.assign(ledger.begin(), ledger.end());
  assemblers_.assign(assemblers.begin(), assemblers.end());
  link_clipper();  // derived from the assemblers' places, like a reset's
  agent_inv_.assign(agent_inv.begin(), agent_inv.end());
  conv_inv_.assign(conv_inv.begin(), conv_inv.end());
  agent_stats_.assign(agent_stats.begin(), agent_stats.end());
  game_stats_.assign(game_stats.begin(), game_stats.end());
  events_.assign(events.begin(), events.end());
  order_.assign(order.begin(), order.end());
  group_sum_.assign(group_sum.begin(), group_sum.end());
  group_in_.assign(group_in.begin(), group_in.end());
  group_size_.assign(group_size.begin(), group_size.end());
  const char* p = last.data();
  const size_t obs = static_cast<size_t>(A_) * T_ * 3;
  std::memcpy(buf_.obs, p, obs);
  std::memcpy(buf_.rewards, p + obs, A_ * sizeof(float));
  std::memcpy(buf_.terminals, p + obs + A_ * sizeof(float), A_ * sizeof(bool));
  std::memcpy(buf_.truncations, p + obs + A_ * (sizeof(float) + sizeof(bool)), A_ * sizeof(bool));
  std::memcpy(buf_.action_success, p + obs + A_ * (sizeof(float) + 2 * sizeof(bool)),
              A_ * sizeof(bool));
  for (int a = 0; a < A_; ++a) buf_.active[a] = a < placed() && agents_[a].alive;
}

}  // namespace mettagrid
