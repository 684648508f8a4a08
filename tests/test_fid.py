"""FID and KID maths against closed forms and direct computations."""
import numpy as np
import pytest

from gluon_gan.evaluation import fid


def _random_spd(rs, d, rank=None):
    a = rs.normal(size=(d, rank or d))
    return a @ a.T


def test_frechet_distance_of_diagonal_gaussians_matches_the_closed_form():
    rs = np.random.RandomState(1)
    mu1, mu2 = rs.normal(size=5), rs.normal(size=5)
    v1, v2 = rs.uniform(0.1, 3, size=5), rs.uniform(0.1, 3, size=5)
    expected = ((mu1 - mu2) ** 2).sum() + (v1 + v2 - 2 * np.sqrt(v1 * v2)).sum()
    assert fid.frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected, rel=1e-12)


def test_frechet_distance_in_one_dimension_is_mean_gap_plus_std_gap_squared():
    # N(1, 2²) vs N(4, 0.5²): (1-4)² + (2-0.5)² = 9 + 2.25
    assert fid.frechet_distance([1.0], [[4.0]], [4.0], [[0.25]]) == pytest.approx(11.25, rel=1e-12)


def test_trace_term_matches_the_eigenvalues_of_the_product_for_full_covariances():
    rs = np.random.RandomState(2)
    s1, s2 = _random_spd(rs, 7), _random_spd(rs, 7)
    # Σ1Σ2 is similar to a PSD matrix, so its eigenvalues are real and non-negative.
    expected = np.sqrt(np.linalg.eigvals(s1 @ s2).real).sum()
    assert fid.trace_sqrt_product(s1, s2) == pytest.approx(expected, rel=1e-10)
    assert fid.trace_sqrt_product(s2, s1) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_is_symmetric_and_zero_for_equal_gaussians():
    rs = np.random.RandomState(3)
    mu, s1, s2 = rs.normal(size=6), _random_spd(rs, 6), _random_spd(rs, 6)
    assert fid.frechet_distance(mu, s1, mu, s1) == pytest.approx(0, abs=1e-10)
    assert fid.frechet_distance(mu, s1, mu + 1, s2) == pytest.approx(fid.frechet_distance(mu + 1, s2, mu, s1),
                                                                    rel=1e-10)


def test_sqrtm_psd_of_a_rank_deficient_covariance_is_finite_symmetric_and_squares_back():
    rs = np.random.RandomState(4)
    s = np.cov(rs.normal(size=(10, 64)), rowvar=False)  # 10 samples in 64 dims: rank 9
    assert np.linalg.matrix_rank(s) == 9
    root = fid.sqrtm_psd(s)
    assert np.isfinite(root).all()
    np.testing.assert_array_equal(root, root.T)
    np.testing.assert_allclose(root @ root, s, atol=1e-12)
    assert np.linalg.eigvalsh(root).min() > -1e-12


def test_sqrtm_psd_survives_round_off_negative_eigenvalues():
    u = np.linalg.qr(np.random.RandomState(5).normal(size=(4, 4)))[0]
    s = u @ np.diag([4.0, 1.0, 0.0, -1e-17]) @ u.T  # what round-off does to a singular covariance
    root = fid.sqrtm_psd(s)
    assert np.isfinite(root).all()
    np.testing.assert_allclose(np.linalg.eigvalsh(root), [0, 0, 1, 2], atol=1e-8)


def test_frechet_distance_of_rank_one_covariances_matches_closed_forms():
    u, v = np.eye(5)[0], np.eye(5)[1]
    mu = np.zeros(5)
    # Same direction: like 1-D Gaussians with variances a, b: (√a - √b)².
    assert fid.frechet_distance(mu, 4 * np.outer(u, u), mu, 9 * np.outer(u, u)) == pytest.approx(1.0, abs=1e-12)
    # Orthogonal directions: Σ1^½ Σ2 Σ1^½ = 0, so the distance is Tr Σ1 + Tr Σ2.
    assert fid.frechet_distance(mu, 4 * np.outer(u, u), mu, 9 * np.outer(v, v)) == pytest.approx(13.0, abs=1e-12)
    # A rotated direction: u' = (u + v)/√2 rotated 45°; trace term √(ab)·|u·u'| = 6·cos 45°.
    w = (u + v) / np.sqrt(2)
    expected = 4 + 9 - 2 * 6 * np.sqrt(0.5)
    assert fid.frechet_distance(mu, 4 * np.outer(u, u), mu, 9 * np.outer(w, w)) == pytest.approx(expected, abs=1e-10)


def test_fid_from_features_with_fewer_samples_than_dimensions_is_finite_and_zero_on_itself():
    rs = np.random.RandomState(6)
    x = rs.normal(size=(20, 128))
    y = rs.normal(size=(20, 128)) + 0.5
    assert fid.fid_from_features(x, x) == pytest.approx(0, abs=1e-9)
    d = fid.fid_from_features(x, y)
    assert np.isfinite(d) and d > 128 * 0.25 * 0.5  # at least most of the mean shift (0.5² per dim)
    # Shifting one set changes only the mean term.
    assert fid.fid_from_features(x, x + 2.0) == pytest.approx(128 * 4.0, rel=1e-9)


def test_gaussian_stats_match_numpy_and_are_exact_for_large_offsets():
    rs = np.random.RandomState(7)
    x = rs.normal(size=(300, 5)) * [1, 2, 3, 4, 5] + 1e6  # a big mean would cancel in a naive E[xx]-E[x]E[x]
    stats = fid.GaussianStats()
    for chunk in np.array_split(x, 7):
        stats.update(chunk)
    np.testing.assert_allclose(stats.mean, x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(stats.cov, np.cov(x, rowvar=False), rtol=1e-9)
    assert stats.count == 300


def test_mmd2_unbiased_matches_a_direct_double_loop():
    rs = np.random.RandomState(8)
    x, y = rs.normal(size=(6, 4)), rs.normal(size=(5, 4)) + 0.3
    d = x.shape[1]

    def k(a, b):
        return (sum(ai * bi for ai, bi in zip(a, b)) / d + 1) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    assert fid.mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_kid_is_the_mean_and_std_of_the_unbiased_mmd_over_the_same_subsets():
    rs = np.random.RandomState(9)
    x, y = rs.normal(size=(30, 8)), rs.normal(size=(25, 8)) * 1.5
    mean, std = fid.kernel_inception_distance(x, y, num_subsets=4, subset_size=10, seed=3)
    draw = np.random.RandomState(3)
    values = [fid.mmd2_unbiased(x[draw.choice(30, 10, replace=False)], y[draw.choice(25, 10, replace=False)])
              for _ in range(4)]
    assert mean == pytest.approx(np.mean(values), rel=1e-12)
    assert std == pytest.approx(np.std(values), rel=1e-12)
    assert len(set(values)) == 4  # the subsets differ


def test_kid_is_unbiased_near_zero_for_one_distribution_and_positive_for_two():
    rs = np.random.RandomState(10)
    a, b = rs.normal(size=(400, 16)), rs.normal(size=(400, 16))
    same_mean, same_std = fid.kernel_inception_distance(a, b, num_subsets=50, subset_size=100, seed=0)
    assert abs(same_mean) < 3 * same_std / np.sqrt(50)  # unbiased: zero within the subsets' standard error
    shifted, _ = fid.kernel_inception_distance(a, b + 0.5, num_subsets=50, subset_size=100, seed=0)
    assert shifted > 10 * same_std


def test_kid_caps_the_subset_size_and_rejects_too_few_rows():
    rs = np.random.RandomState(11)
    x, y = rs.normal(size=(5, 3)), rs.normal(size=(8, 3))
    mean, _ = fid.kernel_inception_distance(x, y, num_subsets=3, subset_size=1000, seed=0)
    draw = np.random.RandomState(0)
    values = [fid.mmd2_unbiased(x[draw.choice(5, 5, replace=False)], y[draw.choice(8, 5, replace=False)])
              for _ in range(3)]
    assert mean == pytest.approx(np.mean(values), rel=1e-12)
    with pytest.raises(ValueError, match="at least 2"):
        fid.kernel_inception_distance(x[:1], y)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="mismatched"):
        fid.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
