using MnistCnn.Core.Training.Settings;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// Random distortions of the training images, drawn anew for every image of every batch: a shift, a rotation, a
/// scaling and an elastic distortion (Simard et al. 2003: a random displacement field smoothed by a Gaussian).
/// Ranges are maxima; each image draws uniformly within them.
/// </summary>
/// <param name="Shift">Largest shift, as a fraction of the image's width and height (0.1: 2.8 pixels of 28).</param>
/// <param name="Rotation">Largest rotation, in degrees, either way.</param>
/// <param name="Scale">Largest zoom in or out, as a fraction (0.1: 90% to 110%).</param>
/// <param name="ElasticAlpha">Strength of the elastic distortion, in pixels of the smoothed field (0: none).</param>
/// <param name="ElasticSigma">Smoothness of the elastic distortion: the Gaussian's standard deviation, in pixels.</param>
public sealed record AugmentationOptions(double Shift = 0.1, double Rotation = 10, double Scale = 0.1, double ElasticAlpha = 20, double ElasticSigma = 4)
{
    /// <summary>What <c>-Augment</c> and <c>data.augmentation: true</c> use.</summary>
    public static readonly AugmentationOptions Default = new();

    /// <summary>Every problem with these settings (ranges from <see cref="TrainingSettingsCatalog"/>); empty when valid.</summary>
    public IReadOnlyList<SettingProblem> Validate() =>
        new TrainingOptions { Augmentation = this }.Validate().Where(p => p.Setting.Name.StartsWith("Augmentation.", StringComparison.Ordinal)).ToList();
}

/// <summary>
/// Applies <see cref="AugmentationOptions"/> to a batch on the batch's own device, as tensor operations on the
/// whole batch (an affine grid plus the smoothed displacement field, one bilinear <c>grid_sample</c>); no image is
/// touched on the host. The draws come from a generator seeded with the run's seed, the epoch and the batch, so a
/// run is reproducible and a resumed run distorts its batches exactly as an uninterrupted one. Pixels moved in
/// from outside the image are 0 (background).
/// </summary>
public static class Augmenter
{
    /// <summary>A distorted copy of <paramref name="batch"/> (N x C x H x W floats); the input is left as it is.</summary>
    public static Tensor Apply(Tensor batch, AugmentationOptions options, int seed, int epoch, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(options);
        if (batch.dim() != 4) throw new ArgumentException($"Expected an N x C x H x W batch, got {batch.dim()} dimensions.", nameof(batch));
        long n = batch.shape[0], h = batch.shape[2], w = batch.shape[3];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(unchecked((ulong)(((seed * 1_000_033L) + epoch) * 1_000_003L + batchIndex + 0x5EED)), batch.device);
        var device = batch.device;
        // Every number handed to a tensor op is an owned Scalar (analyzer MNC0001, docs/development.md#analyzers).
        using var one = 1.ToScalar();
        using var two = 2.0.ToScalar();
        Tensor Uniform(long count, double max)
        {
            using var width = (2 * max).ToScalar();
            using var offset = max.ToScalar();
            return rand(new[] { count }, ScalarType.Float32, device, generator: generator).mul_(width).sub_(offset);
        }

        var angle = Uniform(n, options.Rotation * Math.PI / 180);
        var zoom = Uniform(n, options.Scale).add_(one, one);
        var tx = Uniform(n, 2 * options.Shift);
        var ty = Uniform(n, 2 * options.Shift);
        // affine_grid maps output coordinates to where they sample the input: dividing by the zoom enlarges the digit.
        var cos = angle.cos().div_(zoom);
        var sin = angle.sin().div_(zoom);
        var theta = stack(new[] { cos, sin.neg(), tx, sin, cos, ty }, 1).reshape(n, 2, 3);

        Tensor? field = null;
        if (options.ElasticAlpha > 0)
        {
            using var alpha = options.ElasticAlpha.ToScalar();
            var raw = rand(new[] { n, 2, h, w }, ScalarType.Float32, device, generator: generator).mul_(two).sub_(one);
            field = Smooth(raw, options.ElasticSigma).mul_(alpha);
        }
        return Warp(batch, theta, field).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Samples <paramref name="batch"/> (N x C x H x W) through the affine maps <paramref name="theta"/> (N x 2 x 3,
    /// normalised coordinates) plus an optional displacement field in pixels (N x 2 x H x W: x then y).
    /// </summary>
    internal static Tensor Warp(Tensor batch, Tensor theta, Tensor? displacement)
    {
        using var scope = NewDisposeScope();
        long h = batch.shape[2], w = batch.shape[3];
        var input = batch.dtype == ScalarType.Float32 ? batch.contiguous() : batch.to(ScalarType.Float32).contiguous();
        var grid = nn.functional.affine_grid(theta, new[] { batch.shape[0], batch.shape[1], h, w }, align_corners: false);
        if (displacement is not null)
        {
            // Pixels to normalised units: the image spans 2 across its width (x) and height (y).
            var scale = tensor(new[] { 2f / w, 2f / h }, device: batch.device).reshape(1, 2, 1, 1);
            using var one = 1.ToScalar();
            grid = grid.add(displacement.mul(scale).permute(0, 2, 3, 1), one);
        }
        return nn.functional.grid_sample(input, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false).MoveToOuterDisposeScope();
    }

    /// <summary>A Gaussian blur of each channel (separable, zero beyond the edges), as Simard's elastic distortion needs.</summary>
    private static Tensor Smooth(Tensor field, double sigma)
    {
        int radius = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var weights = new float[(2 * radius) + 1];
        for (int i = -radius; i <= radius; i++) weights[i + radius] = (float)Math.Exp(-(i * i) / (2 * sigma * sigma));
        float sum = weights.Sum();
        for (int i = 0; i < weights.Length; i++) weights[i] /= sum;
        long channels = field.shape[1];
        var kernel = tensor(weights, device: field.device);
        var horizontal = kernel.reshape(1, 1, 1, weights.Length).expand(channels, 1, 1, weights.Length).contiguous();
        var vertical = kernel.reshape(1, 1, weights.Length, 1).expand(channels, 1, weights.Length, 1).contiguous();
        var x = nn.functional.conv2d(field, horizontal, padding: new long[] { 0, radius }, groups: channels);
        return nn.functional.conv2d(x, vertical, padding: new long[] { radius, 0 }, groups: channels);
    }
}
