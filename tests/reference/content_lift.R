# Reference numbers for tests/test_content_lift_reference.py (toolkit.content_lift).
# Inputs: the fixture CSVs next to this script (made by make_content_lift_fixtures.py).
# Run from the repository root:  Rscript tests/reference/content_lift.R > tests/reference/content_lift_R.txt
# R with MASS, sandwich, coin (see docs ENVIRONMENT.md).
suppressPackageStartupMessages({library(MASS); library(sandwich); library(coin)})
options(digits = 15)
here <- "tests/reference"

prep <- function(d, change = NULL) {
  t <- as.POSIXct(sub("\\+00:00$", "", d$published_at), tz = "UTC")
  days <- as.numeric(floor(difftime(t, as.POSIXct("1970-01-05", tz = "UTC"), units = "days")))
  d$week <- floor(days / 7)
  d$trend <- (days - mean(days)) / 365.25
  d$weekday <- factor(as.character((as.POSIXlt(t)$wday + 6) %% 7))
  d$hour <- factor(c("night", "morning", "afternoon", "evening")[as.POSIXlt(t)$hour %/% 6 + 1])
  d$media_type <- factor(d$media_type)
  d$label <- as.numeric(d$content_label == "personal")
  if (!is.null(change)) d$after <- as.numeric(t >= as.POSIXct(change, tz = "UTC"))
  d
}
show <- function(name, x) cat(name, paste(format(x, digits = 15), collapse = " "), "\n")
ctl <- glm.control(epsilon = 1e-12, maxit = 200)

cat("## glm: MASS::glm.nb, one account, default controls\n")
d <- prep(read.csv(file.path(here, "content_lift_posts.csv")))
f <- glm.nb(likes ~ label + trend + weekday + hour + media_type + offset(log(impressions)), data = d,
            control = ctl)
show("coef_names", names(coef(f)))
show("coef", coef(f))
show("theta", f$theta)
show("se_label_vcovCL_week", sqrt(vcovCL(f, cluster = ~week, type = "HC1")["label", "label"]))

cat("## glm: no controls\n")
f0 <- glm.nb(likes ~ label + offset(log(impressions)), data = d, control = ctl)
show("coef", coef(f0)); show("theta", f0$theta)

cat("## glm: change interaction at 2024-04-15\n")
dc <- prep(read.csv(file.path(here, "content_lift_posts.csv")), change = "2024-04-15")
fc <- glm.nb(comments ~ label * after + trend + weekday + hour + media_type + offset(log(impressions)),
             data = dc, control = ctl)
show("coef_names", names(coef(fc)))
show("coef", coef(fc)); show("theta", fc$theta)

cat("## glm: two accounts pooled, account effects\n")
dp <- prep(read.csv(file.path(here, "content_lift_pooled.csv")))
dp$account <- factor(dp$account)
fp <- glm.nb(likes ~ label + account + trend + weekday + hour + media_type + offset(log(impressions)),
             data = dp, control = ctl)
show("coef_names", names(coef(fp)))
show("coef", coef(fp)); show("theta", fp$theta)

cat("## welch and mann-whitney on per-post rates (likes / impressions)\n")
r <- d$likes / d$impressions
tt <- t.test(r[d$label == 1], r[d$label == 0], var.equal = FALSE)
show("welch_t", tt$statistic); show("welch_df", tt$parameter); show("welch_p", tt$p.value)
w <- wilcox.test(r[d$label == 1], r[d$label == 0], exact = FALSE, correct = TRUE)
show("wilcox_W", w$statistic); show("wilcox_p", w$p.value)

cat("## permutation: coin::oneway_test within blocks, approximate, 200000 resamples\n")
p <- read.csv(file.path(here, "content_lift_perm.csv"))
p$treat <- factor(p$treat, levels = c("True", "False"))
set.seed(20261122)
o <- oneway_test(y ~ treat | factor(block), data = p, distribution = approximate(nresample = 200000),
                 alternative = "greater")
show("coin_greater_p", pvalue(o)); show("coin_statistic", statistic(o))
set.seed(20261122)
o2 <- oneway_test(y ~ treat, data = p, distribution = approximate(nresample = 200000),
                  alternative = "greater")
show("coin_unstratified_greater_p", pvalue(o2))

cat("## multiplicity: p.adjust\n")
pv <- c(0.001, 0.012, 0.03, 0.04, 0.2)
show("holm", p.adjust(pv, "holm")); show("BH", p.adjust(pv, "BH"))
