namespace MnistCnn.Core.Export;

/// <summary>Formats <c>Export-CnnModel</c> writes.</summary>
public enum ModelExportFormat
{
    /// <summary>ONNX (opset 17), for ONNX Runtime and every other ONNX consumer.</summary>
    Onnx,
}
