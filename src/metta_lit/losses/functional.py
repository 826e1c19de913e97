"""Loss math as plain tensor functions, shared by the loss mixins and the raw-loop benchmark.

A reader can check every line against spec 5.3/5.4 without any framework in the way.
"""

from __future__ import annotations

import torch


def advantage(
    values: torch.Tensor,
    rewards: torch.Tensor,
    dones: torch.Tensor,
    bootstrap: torch.Tensor,
    importance: torch.Tensor,
    gamma: float,
    gae_lambda: float,
    rho_clip: float = 1.0,
    c_clip: float = 1.0,
) -> torch.Tensor:
    """GAE with V-trace-style importance clipping over rows of ``T`` steps.

    ``values[r, t]`` is V(s_t); ``rewards``/``dones`` ``[r, t]`` are the reward and done that
    follow action ``a_t``; ``bootstrap[r]`` is V(s_T) after the last step. With
    ``rho = min(ratio, rho_clip)`` and ``c = min(ratio, c_clip)``::

        delta_t = rho_t * (r_t + gamma * V_{t+1} * (1 - d_t) - V_t)
        A_t     = delta_t + gamma * lambda * c_t * (1 - d_t) * A_{t+1},   A_T = 0

    With ``importance == 1`` this is plain GAE. Written by hand because TorchRL's ``vtrace``
    estimator has no lambda and its GAE has no importance clipping.
    """
    rho = importance.clamp(max=rho_clip)
    c = importance.clamp(max=c_clip)
    nonterminal = 1.0 - dones.float()
    next_values = torch.cat([values[:, 1:], bootstrap.reshape(-1, 1)], dim=1)
    delta = rho * (rewards + gamma * next_values * nonterminal - values)
    discount = gamma * gae_lambda * c * nonterminal
    out = torch.empty_like(values)
    running = torch.zeros_like(values[:, 0])
    for t in range(values.shape[1] - 1, -1, -1):
        running = delta[:, t] + discount[:, t] * running
        out[:, t] = running
    return out


def row_priorities(advantages: torch.Tensor, alpha: float) -> torch.Tensor:
    """Prioritized replay over BPTT rows (spec 5.3): each row's probability of being drawn,
    ``p = (sum_t |A|)^alpha`` normalized (with the original's 1e-6, so no row has probability
    zero); ``alpha`` 0 draws uniformly."""
    weights = advantages.abs().sum(dim=1).pow(alpha).nan_to_num(0.0, 0.0, 0.0)
    return (weights + 1e-6) / (weights.sum() + 1e-6)


def importance_weights(probabilities: torch.Tensor, beta: float) -> torch.Tensor:
    """The correction of a prioritized draw, ``(rows * P)^-beta`` per row: 1 for uniform draws."""
    return (probabilities.numel() * probabilities).pow(-beta)


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """The mean of ``x`` over the entries where ``mask`` (bool, ``x``'s shape) is set: steps of
    slots no agent played (fewer agents this episode, a dead agent) count for nothing. None:
    every entry (the plain mean, bit for bit)."""
    if mask is None:
        return x.mean()
    return torch.where(mask, x, 0.0).sum() / mask.sum().clamp_min(1).to(x.dtype)


def normalize(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return (x - mean) / (std + eps)


def ppo_terms(
    new_log_prob: torch.Tensor,
    old_log_prob: torch.Tensor,
    advantages: torch.Tensor,
    new_values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    entropy: torch.Tensor,
    clip_coef: float,
    vf_clip_coef: float,
    clip_vloss: bool = True,
    mask: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Clipped policy loss, (clipped) value loss, entropy and diagnostics (spec 5.4), each a
    mean over the steps ``mask`` keeps (None: all).

    ``advantages`` arrive already normalized/weighted. Returns unweighted terms; the caller
    combines ``policy - ent_coef * entropy + vf_coef * value``.
    """
    log_ratio = (new_log_prob - old_log_prob).clamp(-10.0, 10.0)
    ratio = log_ratio.exp()
    pg1 = -advantages * ratio
    pg2 = -advantages * ratio.clamp(1.0 - clip_coef, 1.0 + clip_coef)
    policy = masked_mean(torch.max(pg1, pg2), mask)
    if clip_vloss:
        clipped = old_values + (new_values - old_values).clamp(-vf_clip_coef, vf_clip_coef)
        value = 0.5 * masked_mean(torch.max((new_values - returns) ** 2, (clipped - returns) ** 2), mask)
    else:
        value = 0.5 * masked_mean((new_values - returns) ** 2, mask)
    with torch.no_grad():
        approx_kl = masked_mean((ratio - 1.0) - log_ratio, mask)
        clipfrac = masked_mean(((ratio - 1.0).abs() > clip_coef).float(), mask)
    return {
        "policy": policy,
        "value": value,
        "entropy": masked_mean(entropy, mask),
        "approx_kl": approx_kl,
        "clipfrac": clipfrac,
        "ratio": ratio.detach(),
    }


def explained_variance(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - Var(target - predicted) / Var(target); NaN when the target is constant."""
    var = target.var()
    return torch.where(var > 0, 1.0 - (target - predicted).var() / var, torch.full_like(var, float("nan")))


def discounted_returns(rewards: torch.Tensor, dones: torch.Tensor, gamma: float) -> torch.Tensor:
    """Reward-to-go within each row ``[r, T]``, with no bootstrap past its end::

    G_t = r_t + gamma * (1 - d_t) * G_{t+1},   G_T = 0
    """
    nonterminal = 1.0 - dones.float()
    out = torch.empty_like(rewards)
    running = torch.zeros_like(rewards[:, 0])
    for t in range(rewards.shape[1] - 1, -1, -1):
        running = rewards[:, t] + gamma * nonterminal[:, t] * running
        out[:, t] = running
    return out


def group_baselined(returns: torch.Tensor, group_size: int, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``returns`` ``[r, T]`` minus the mean over its group of ``group_size`` consecutive rows
    (segments), step by step: GRPO's critic-free advantage. A last, smaller group is its own.
    With ``mask`` the mean is over the group's rows that ``mask`` keeps at that step."""
    out = torch.empty_like(returns)
    for start in range(0, returns.shape[0], group_size):
        group = returns[start : start + group_size]
        if mask is None:
            mean = group.mean(0, keepdim=True)
        else:
            kept = mask[start : start + group_size]
            mean = torch.where(kept, group, 0.0).sum(0, keepdim=True) / kept.sum(0, keepdim=True).clamp_min(1)
        out[start : start + group_size] = group - mean
    return out


def clipped_surrogate(
    new_log_prob: torch.Tensor,
    old_log_prob: torch.Tensor,
    advantages: torch.Tensor,
    clip_coef: float,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's clipped policy loss ``mean(max(-A r, -A clip(r)))`` over the steps ``mask`` keeps,
    and the ratio ``r``."""
    ratio = (new_log_prob - old_log_prob).clamp(-10.0, 10.0).exp()
    loss = masked_mean(
        torch.max(-advantages * ratio, -advantages * ratio.clamp(1.0 - clip_coef, 1.0 + clip_coef)), mask
    )
    return loss, ratio


def lookahead_returns(rewards: torch.Tensor, dones: torch.Tensor, gamma: float, horizon: int) -> torch.Tensor:
    """``sum_{k<horizon} gamma^k r_{t+k}`` over rows ``[r, T]``, stopping after an episode
    end (``d_{t+k}``) and at the row's end."""
    out = torch.zeros_like(rewards)
    alive = torch.ones_like(rewards)  # after step k: no episode end among d_t .. d_{t+k}
    T = rewards.shape[1]
    for k in range(min(horizon, T)):
        valid = T - k
        out[:, :valid] += (gamma**k) * alive[:, :valid] * rewards[:, k:]
        alive[:, :valid] = alive[:, :valid] * (1.0 - dones[:, k:].float())
    return out


def info_nce(
    anchors: torch.Tensor, positives: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """InfoNCE over ``N`` pairs ``[N, D]``: anchor ``i``'s positive is ``positives[i]``, the
    other rows' positives are its negatives. Vectors are L2-normalized (cosine similarity).
    Returns (loss, mean positive similarity, mean negative similarity)."""
    a = torch.nn.functional.normalize(anchors, dim=-1)
    p = torch.nn.functional.normalize(positives, dim=-1)
    similarity = a @ p.T
    loss = torch.nn.functional.cross_entropy(similarity / temperature, torch.arange(a.shape[0], device=a.device))
    n = a.shape[0]
    positive = similarity.diagonal().mean()
    negative = (similarity.sum() - similarity.diagonal().sum()) / max(1, n * n - n)
    return loss, positive.detach(), negative.detach()


def kickstart_terms(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    student_value: torch.Tensor,
    teacher_value: torch.Tensor,
    temperature: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``KL(student || teacher)`` of the action distributions softened by ``temperature``
    (``sum p_s (log p_s - log p_t)``, mean over steps) and the value MSE to the teacher's."""
    log_s = torch.log_softmax(student_logits / temperature, -1)
    log_t = torch.log_softmax(teacher_logits / temperature, -1)
    kl = (log_s.exp() * (log_s - log_t)).sum(-1).mean()
    return kl, ((student_value - teacher_value) ** 2).mean()
