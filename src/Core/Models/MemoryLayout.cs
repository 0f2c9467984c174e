using static TorchSharp.torch;

namespace MnistCnn.Core.Models;

/// <summary>
/// Channels-last views of image batches. TorchSharp 0.107 has no <c>memory_format</c> argument, so the layout is
/// set through strides: libtorch decides an operator's layout from its input's strides, and every layer of our
/// models (convolution, pooling, padding, batch norm, activations, dropout) keeps channels-last once given it.
/// </summary>
public static class MemoryLayout
{
    /// <summary>
    /// The same N x C x H x W tensor with NHWC strides, as a new handle (dispose it; the input is untouched).
    /// Copies only when the data is not already in that order. Strides are set explicitly because for one
    /// channel NCHW and NHWC share their bytes, and a permute-and-copy would come back with NCHW strides.
    /// </summary>
    public static Tensor ToChannelsLast(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.dim() != 4) throw new ArgumentException($"Expected an N x C x H x W batch, got {batch.dim()} dimensions.", nameof(batch));
        long c = batch.shape[1], h = batch.shape[2], w = batch.shape[3];
        using var nhwc = batch.permute(0, 2, 3, 1);
        using var packed = nhwc.contiguous();
        // as_strided counts from the storage's start, not the view's: keep the offset of a narrowed batch.
        return packed.as_strided(batch.shape, new[] { c * h * w, 1, w * c, c }, packed.storage_offset());
    }

    /// <summary>Whether a 4-d tensor's strides are channels-last (NHWC), the way libtorch tells.</summary>
    public static bool IsChannelsLast(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.dim() != 4) return false;
        var s = batch.stride();
        long c = batch.shape[1], w = batch.shape[3];
        return s[1] == 1 && s[3] == c && s[2] == w * c;
    }
}
