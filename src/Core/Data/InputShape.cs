using System.Globalization;

namespace MnistCnn.Core.Data;

/// <summary>Shape of one example, Keras order: height x width x channels.</summary>
public sealed record InputShape(int Height, int Width, int Channels)
{
    public static readonly InputShape Mnist = new(28, 28, 1);
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Height}x{Width}x{Channels}");
}
