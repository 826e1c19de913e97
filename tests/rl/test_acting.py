"""The one acting path: several policies sharing an env as one TorchRL actor, each with its own memory."""

from __future__ import annotations

import torch
from tensordict import TensorDict

from metta_lit.env import env_config
from metta_lit.policy import FastPolicy, RandomPolicy
from metta_lit.rl.acting import act, acting_env
from metta_lit.rl.torch_env import MettaGridTorchEnv


def test_policies_of_different_architectures_act_for_their_own_agents_with_their_own_memory():
    base = MettaGridTorchEnv(env_config("navigation"), num_envs=2, seed=3)  # 4 agents per env
    torch.manual_seed(0)
    big = FastPolicy(base.feature_spec, base.action_names, hidden_size=32, actor_hidden=8, critic_hidden=8)
    small = FastPolicy(
        base.feature_spec, base.action_names, hidden_size=16, lstm_layers=1, actor_hidden=8, critic_hidden=8
    )
    env, actor = acting_env(base, [(big, 1), (small, 3)])
    seen = []

    def record(td) -> bool:
        seen.append(td.clone())
        return True

    act(env, actor, until=lambda: len(seen) == 5, before_step=record)
    assert seen[0]["agents_0", "lstm_h"].shape == (2, 4, 2, 32)
    assert seen[0]["agents_1", "lstm_h"].shape == (2, 4, 1, 16)
    # Replaying each policy alone over its agents' observations gives the memory the shared
    # actor carried ...
    for policy, ns, agents in ((big, "agents_0", slice(0, 1)), (small, "agents_1", slice(1, 4))):
        memory = {k: torch.zeros(2, agents.stop - agents.start, *s) for k, s in policy.memory_shapes().items()}
        for td in seen:
            step = TensorDict(
                {"observation": td["observation"][:, agents], "is_init": td["is_init"][:, agents], **memory},
                batch_size=[2, agents.stop - agents.start],
            )
            with torch.no_grad():
                policy(step)
            memory = {k: step["next", k] for k in memory}
            for k in memory:
                torch.testing.assert_close(td["next", ns, k][:, agents], memory[k])
            # ... and each slice's actions were sampled from its own policy's logits.
            log_probs = step["logits"].log_softmax(-1).gather(-1, td["action"][:, agents, None]).squeeze(-1)
            torch.testing.assert_close(td["action_log_prob"][:, agents], log_probs)


def test_acting_stops_before_the_finished_env_is_reset():
    base = MettaGridTorchEnv(env_config("navigation").with_overrides({"game.max_steps": 6}), num_envs=1)
    env, actor = acting_env(base, [(RandomPolicy({}, []), base.vec.num_agents)])
    act(env, actor, until=lambda: bool(base.finished_episodes))
    (episode,) = base.finished_episodes
    assert episode.steps == 6 and base.vec.current_step(0) == 6  # the final state is still there
    assert episode.summary()["episode/length"] == 6.0


def test_a_teacher_acts_alongside_with_its_own_memory_and_can_lead():
    from metta_lit.rl.teacher import Teacher

    base = MettaGridTorchEnv(env_config("navigation"), num_envs=2, seed=1)
    torch.manual_seed(0)
    student = FastPolicy(base.feature_spec, base.action_names, hidden_size=16, actor_hidden=8, critic_hidden=8)
    teacher = FastPolicy(base.feature_spec, base.action_names, hidden_size=32, actor_hidden=8, critic_hidden=8)
    env, actor = acting_env(base, [(student, 4)], [Teacher(teacher)])
    seen = []
    act(env, actor, until=lambda: len(seen) == 4, before_step=lambda td: seen.append(td.clone()) or True)
    memory = {k: torch.zeros(2, 4, *s) for k, s in teacher.memory_shapes().items()}
    for td in seen:
        assert td["lstm_h"].shape[-1] == 16 and td["teacher", "lstm_h"].shape[-1] == 32
        step = TensorDict({"observation": td["observation"], "is_init": td["is_init"], **memory}, batch_size=[2, 4])
        with torch.no_grad():
            teacher(step)
        torch.testing.assert_close(td["teacher", "logits"], step["logits"])
        memory = {k: step["next", k] for k in memory}
    # Leading every step: the executed action is the teacher's, with the student's log-prob of it.
    env, actor = acting_env(base, [(student, 4)], [Teacher(teacher, lead_proportion=1.0)])
    seen.clear()
    act(env, actor, until=lambda: len(seen) == 2, before_step=lambda td: seen.append(td.clone()) or True)
    for td in seen:
        assert torch.equal(td["action"], td["teacher", "action"])
        expected = td["logits"].log_softmax(-1).gather(-1, td["action"][..., None]).squeeze(-1)
        torch.testing.assert_close(td["action_log_prob"], expected)
