using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Models;

/// <summary>
/// Batch normalization over channels: TorchSharp's <c>BatchNorm1d</c> (N x C) and <c>BatchNorm2d</c> (N x C x H x W)
/// with the same parameters, buffers and state-dict keys (weight, bias, running_mean, running_var,
/// num_batches_tracked), so weights, checkpoints and ONNX export do not see a difference.
/// </summary>
/// <remarks>
/// Why not TorchSharp's own: in training its forward (0.107, NN/Normalization/BatchNorm.cs) counts the batch with
/// <c>num_batches_tracked.add_(1)</c>, which makes two Scalars (the 1 and an alpha of 1) that nothing disposes.
/// Only the finalizer frees them, and it may do so while libtorch still reads them (the race MNC0001/MNC0002
/// guard in our own code). A reused alpha made a clean CI run fail in THSTensor_add_scalar_ with "For integral
/// input tensors, argument alpha must not be a floating point number". This forward owns its scalar and is
/// otherwise the same: batch statistics and a running-statistics update in training, running statistics in eval.
/// </remarks>
public sealed class BatchNormalization : BatchNorm
{
    private readonly bool spatial;

    /// <summary>The count's increment and alpha, owned: made once per module and disposed with it.</summary>
    private readonly Scalar one = 1L.ToScalar();

    /// <param name="features">Channels (C).</param>
    /// <param name="spatial">True for image maps (4D input, as BatchNorm2d), false for flat features (2D or 3D, as BatchNorm1d).</param>
    /// <param name="eps">Added to the variance for numerical stability.</param>
    /// <param name="momentum">PyTorch's momentum: the share of each batch's statistic in the running one.</param>
    public BatchNormalization(long features, bool spatial, double eps, double momentum)
        : base(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null,
            spatial ? "BatchNorm2d" : "BatchNorm1d")
    {
        this.spatial = spatial;
    }

    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        if (training && num_batches_tracked is not null) num_batches_tracked.add_(one, one);
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum!.Value, eps);
    }

    protected override void ValidateInputDimensions(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (spatial ? input.ndim != 4 : input.ndim is not (2 or 3))
            throw new ArgumentException($"expected {(spatial ? "4D" : "2D or 3D")} input, but got {input.ndim}D input.");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) one.Dispose();
        base.Dispose(disposing);
    }
}
