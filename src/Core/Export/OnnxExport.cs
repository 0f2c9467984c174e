namespace MnistCnn.Core.Export;

/// <summary>What an ONNX export wrote.</summary>
/// <param name="Path">The .onnx file.</param>
/// <param name="Model">The model's name.</param>
/// <param name="OpsetVersion">The ONNX operator set the graph uses.</param>
/// <param name="InputName">Graph input: N x C x H x W floats, pixels scaled as <see cref="Data.Preprocessing.Scale"/> says.</param>
/// <param name="InputShape">The input's shape, "N" for the batch dimension.</param>
/// <param name="OutputNames">Graph outputs: logits and softmax probabilities, N x classes each.</param>
/// <param name="Bytes">The file's size.</param>
public sealed record OnnxExport(string Path, string Model, int OpsetVersion, string InputName, string InputShape, IReadOnlyList<string> OutputNames, long Bytes);
