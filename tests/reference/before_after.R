# Reference numbers for tests/test_before_after_reference.py (toolkit.before_after).
# Fixtures: tests/reference/before_after_fixtures.py writes the CSVs read here.
# Run:  Rscript tests/reference/before_after.R > tests/reference/before_after_R.txt
# R 4.2.2, MASS 7.3-58.2, sandwich 3.0-2, lmtest.
suppressPackageStartupMessages({library(MASS); library(sandwich); library(lmtest)})
options(digits = 15)
here <- function(f) {
  args <- commandArgs(trailingOnly = FALSE)
  script <- sub("--file=", "", args[grep("--file=", args)])
  file.path(dirname(script), f)
}

# ---- glm: NB2 with log(impressions) offset on the post-level design, rows in time order ----
d <- read.csv(here("before_after_glm_design.csv"), check.names = FALSE)
X <- as.matrix(d[, -(1:3)])
m <- glm.nb(d$y ~ X - 1 + offset(log(d$impressions)),
            control = glm.control(epsilon = 1e-12, maxit = 100))
cat("== glm.nb ==\n")
cat("theta", m$theta, "\n")
cat("coef", coef(m), "\n")
cat("se_model", sqrt(diag(vcov(m))), "\n")
# HAC in time order (the rows are sorted by publish time), Bartlett weights, lag 14 posts
V_hac <- NeweyWest(m, lag = 14, prewhite = FALSE, adjust = TRUE)
cat("se_hac14", sqrt(diag(V_hac)), "\n")
# cluster-robust by calendar week, CR1 factor G/(G-1) (n-1)/(n-k)
V_cl <- vcovCL(m, cluster = d$week, type = "HC1", cadjust = TRUE)
cat("se_week", sqrt(diag(V_cl)), "\n")
print(coeftest(m, vcov. = V_hac)[2, , drop = FALSE])
print(coeftest(m, vcov. = V_cl, df = length(unique(d$week)) - 1)[2, , drop = FALSE])

# ---- its: OLS on the weekly log rate, Newey-West lag 1 week ----
s <- read.csv(here("before_after_its_weekly.csv"), check.names = FALSE)
Z <- as.matrix(s[, -(1:2)])
l <- lm(s$log_rate ~ Z - 1)
V_nw <- NeweyWest(l, lag = 1, prewhite = FALSE, adjust = TRUE)
cat("== its ==\n")
cat("coef", coef(l), "\n")
cat("se_nw1", sqrt(diag(V_nw)), "\n")
print(coeftest(l, vcov. = V_nw)[2:3, , drop = FALSE])
# the same Bartlett meat on leverage-adjusted residuals e/(1-h), written out by hand
n <- nrow(Z); k <- ncol(Z)
psi <- Z * (residuals(l) / (1 - hatvalues(l)))
G1 <- crossprod(psi[-1, ], psi[-n, ])
meat <- (crossprod(psi) + 0.5 * (G1 + t(G1))) * n / (n - k)
bread <- solve(crossprod(Z))
V_lev <- bread %*% meat %*% bread
dimnames(V_lev) <- dimnames(V_nw)
cat("se_nw1_leverage", sqrt(diag(V_lev)), "\n")
print(coeftest(l, vcov. = V_lev)[2:3, , drop = FALSE])

# ---- glm: bias-reduced cluster-robust (CR3 / CR2); sandwich applies no G/(G-1) to these ----
V_cl3 <- vcovCL(m, cluster = d$week, type = "HC3", cadjust = TRUE)
cat("se_week_hc3", sqrt(diag(V_cl3)), "\n")
V_cl2 <- vcovCL(m, cluster = d$week, type = "HC2", cadjust = TRUE)
cat("se_week_hc2", sqrt(diag(V_cl2)), "\n")

# ---- glm: CR3 clustered by blocks of 4 calendar weeks counted from the change's week ----
# (before_after(robust = "4 weeks"); the change, 2024-06-01, is a Saturday: its week starts 2024-05-27)
block <- floor(as.numeric(as.Date(d$week) - as.Date("2024-05-27")) / 7 / 4)
V_b4 <- vcovCL(m, cluster = block, type = "HC3", cadjust = TRUE)
cat("blocks_4weeks", length(unique(block)), "\n")
cat("se_4weeks_hc3", sqrt(diag(V_b4)), "\n")
