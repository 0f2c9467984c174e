namespace MnistCnn.Core.Data;

/// <summary>How raw images become model input; saved with the model so prediction matches training.</summary>
/// <param name="Height">Input height the model expects.</param>
/// <param name="Width">Input width the model expects.</param>
/// <param name="Channels">Input channels (1: grey).</param>
/// <param name="Scale">Pixel multiplier: 1/255 maps 8-bit pixels to [0, 1].</param>
/// <param name="DarkBackground">Training digits are light on a dark background; light-background images get inverted.</param>
public sealed record Preprocessing(int Height = 28, int Width = 28, int Channels = 1, double Scale = 1.0 / 255.0, bool DarkBackground = true);
