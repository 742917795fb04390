# Reference numbers for tests/test_design.py: the closed-form (normal approximation) power of the
# Wald test of a log rate ratio, computed with R's pwr package (an implementation independent of
# statsmodels' NormalIndPower, which toolkit.design.closed_form_power uses).
#
# Setting: content lift, 3 posts a day for 26 weeks split 50/50 (n1 = n2 = 273), mean 30 engagements
# per control post (rate 0.02 x 1500 impressions), NB size 4, lift 0.10 and 0.15, alpha 0.05.
# Var of the log ratio-of-sums per arm: v_g = 1/m_g + 1/size; the standardised effect for
# pwr.2p2n.test is h = log(1 + lift) * sqrt(1/n1 + 1/n2) / sqrt(v_T/n1 + v_C/n2).
# Run: Rscript tests/reference/design_power.R
library(pwr)
n1 <- 273; n2 <- 273; m <- 30; size <- 4
for (lift in c(0.10, 0.15)) {
  v <- (1 / (m * (1 + lift)) + 1 / size) / n1 + (1 / m + 1 / size) / n2
  h <- log(1 + lift) * sqrt(1 / n1 + 1 / n2) / sqrt(v)
  p <- pwr.2p2n.test(h = h, n1 = n1, n2 = n2, sig.level = 0.05)$power
  cat(sprintf("lift %.2f  h %.10f  power %.10f\n", lift, h, p))
}
