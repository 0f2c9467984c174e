using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Models;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of the models area (specs, presets, model folders, ONNX export); tests and scripts match on them, so
/// never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class ModelsErrorIds
{
    /// <summary>A model's layers do not fit together for its input shape (a size shrinks below 1, a flatten is missing...); change the layer arguments or the input shape.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ModelShapeInvalid = nameof(ModelShapeInvalid);
    /// <summary>New-CnnModel -Preset (or a spec) names a preset that does not exist; use one of the names the message lists.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string UnknownModelPreset = nameof(UnknownModelPreset);
    /// <summary>A model path holds no model.json and weights.bin; pass a folder written by Save-CnnModel or Start-CnnTraining -OutputPath.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string ModelNotFound = nameof(ModelNotFound);
    /// <summary>A model folder's model.json is oversized, unreadable or names an unknown layer type; save the model again (or fix its permissions).</summary>
    [ErrorKinds(ErrorKind.InvalidData, ErrorKind.ResourceUnavailable)]
    public const string ModelFileInvalid = nameof(ModelFileInvalid);
    /// <summary>model.json was written by a newer MnistCnn (a higher format version); update MnistCnn to read it.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ModelFormatTooNew = nameof(ModelFormatTooNew);
    /// <summary>A model folder has model.json but no weights.bin; copy the whole folder, or save the model again.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string ModelWeightsMissing = nameof(ModelWeightsMissing);
    /// <summary>weights.bin is truncated or does not match the architecture in model.json; copy the whole file again, or save the model again.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ModelWeightsInvalid = nameof(ModelWeightsInvalid);
    /// <summary>A model was used after it was disposed; load it again with Import-CnnModel.</summary>
    [ErrorKinds(ErrorKind.InvalidOperation)]
    public const string ModelDisposed = nameof(ModelDisposed);
    /// <summary>A layer or activation of the model has no ONNX export; export a model without it, or save it with Save-CnnModel instead.</summary>
    [ErrorKinds(ErrorKind.NotImplemented)]
    public const string OnnxLayerUnsupported = nameof(OnnxLayerUnsupported);
    /// <summary>The model lacks a parameter its architecture needs for ONNX export (weights and layers disagree); load or train the model again.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string OnnxWeightsMissing = nameof(OnnxWeightsMissing);
}
