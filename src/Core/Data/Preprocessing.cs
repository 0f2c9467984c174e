using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Data;

/// <summary>How raw images become model input; saved with the model so prediction matches training.</summary>
/// <param name="Height">Input height the model expects.</param>
/// <param name="Width">Input width the model expects.</param>
/// <param name="Channels">Input channels (1: grey).</param>
/// <param name="Scale">Pixel multiplier: 1/255 maps 8-bit pixels to [0, 1].</param>
/// <param name="DarkBackground">Training digits are light on a dark background; light-background images get inverted.</param>
public sealed record Preprocessing(int Height = 28, int Width = 28, int Channels = 1, double Scale = 1.0 / 255.0, bool DarkBackground = true)
{
    /// <summary>
    /// Preprocessed 8-bit <paramref name="pixels"/> as the model's input: a float tensor of <paramref name="shape"/>
    /// (N x C x H x W) times <see cref="Scale"/>, on <paramref name="device"/>, in the caller's dispose scope.
    /// </summary>
    public Tensor InputTensor(byte[] pixels, long[] shape, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var scale = Scale.ToScalar(); // owned (analyzer MNC0001)
        var x = tensor(pixels, shape, ScalarType.Byte).to(ScalarType.Float32).mul_(scale);
        return device.type == DeviceType.CPU ? x : x.to(device);
    }
}
