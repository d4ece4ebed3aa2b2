// The per-row result shared by logits_loss.cpp and its AVX2 row kernel (logits_loss_avx2.cpp).
#pragma once

namespace dw::cpu {

struct LossRow {
  double ce;  // logsumexp(z_s) − z_s[y]
  double kl;  // Σ_v p_t,v·(log p_t,v − log p_s,v), without the T² factor
};

}  // namespace dw::cpu
