using System.Globalization;
using System.Text;
using MnistCnn.Core.Diagnostics;
using static TorchSharp.torch;

namespace MnistCnn.Core.Models;

/// <summary>
/// Checks a <c>weights.bin</c> (TorchSharp's state-dict format: a LEB128 entry count, then per entry a
/// length-prefixed UTF-8 name, a LEB128 element type, rank and sizes, and the raw values) against the tensors a
/// network expects, before TorchSharp reads it. TorchSharp sizes arrays from the file's own numbers; this check
/// compares every number with the architecture first, so a corrupt file costs nothing and the error says where
/// and how it differs.
/// </summary>
internal static class WeightsFileCheck
{
    public static void Check(string path, IReadOnlyDictionary<string, Tensor> expected, string manifestName)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long length = stream.Length;
        string where = "at its start";
        try
        {
            long count = Decode(stream);
            if (count != expected.Count)
            {
                throw Invalid(path, $"holds {count} tensors but the architecture in {manifestName} has {expected.Count}; it belongs to another model");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (long i = 0; i < count; i++)
            {
                where = string.Create(CultureInfo.InvariantCulture, $"in entry {i + 1} of {count}");
                long nameLength = Read7BitLength(stream);
                if (nameLength > 1024) throw Invalid(path, $"is corrupt {where}: a tensor name of {nameLength} bytes");
                var nameBytes = new byte[nameLength];
                stream.ReadExactly(nameBytes);
                string name = Encoding.UTF8.GetString(nameBytes);
                where = $"at tensor '{name}'";
                if (!expected.TryGetValue(name, out var tensor) || !seen.Add(name))
                {
                    throw Invalid(path, $"holds a tensor '{name}' that the architecture in {manifestName} {(seen.Contains(name) && expected.ContainsKey(name) ? "names only once" : "does not have")}; it belongs to another model");
                }
                long type = Decode(stream);
                if (type != (long)tensor.dtype)
                {
                    throw Invalid(path, $"stores '{name}' as element type {type} but the architecture needs {tensor.dtype} ({(int)tensor.dtype})");
                }
                long rank = Decode(stream);
                var shape = tensor.shape;
                if (rank != shape.Length)
                {
                    throw Invalid(path, string.Create(CultureInfo.InvariantCulture, $"stores '{name}' with {rank} dimensions but the architecture in {manifestName} needs [{string.Join(", ", shape)}]; it belongs to another model"));
                }
                var sizes = new long[rank];
                for (int d = 0; d < rank; d++) sizes[d] = Decode(stream);
                if (!sizes.AsSpan().SequenceEqual(shape))
                {
                    throw Invalid(path, $"stores '{name}' as [{string.Join(", ", sizes)}] but the architecture in {manifestName} needs [{string.Join(", ", shape)}]; it belongs to another model");
                }
                long bytes = tensor.numel() * tensor.ElementSize;
                if (stream.Position + bytes > length) throw new EndOfStreamException();
                stream.Seek(bytes, SeekOrigin.Current);
            }
        }
        catch (EndOfStreamException)
        {
            throw Invalid(path, string.Create(CultureInfo.InvariantCulture,
                $"is truncated: it ends {where} after {length:N0} bytes, before the last value of the architecture in {manifestName}. Copy the whole file again, or save the model again"));
        }
        if (stream.Position != length)
        {
            throw Invalid(path, string.Create(CultureInfo.InvariantCulture,
                $"has {length - stream.Position:N0} bytes after its last tensor; it is corrupt or belongs to another model"));
        }
    }

    /// <summary>TorchSharp's unsigned LEB128; more than 9 bytes cannot be a size it wrote.</summary>
    private static long Decode(Stream stream)
    {
        long result = 0;
        for (int i = 0; i < 9; i++)
        {
            int b = stream.ReadByte();
            if (b < 0) throw new EndOfStreamException();
            result |= (long)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        return long.MaxValue;
    }

    /// <summary>BinaryWriter's string length prefix (7-bit encoded int).</summary>
    private static long Read7BitLength(Stream stream)
    {
        long result = 0;
        for (int i = 0; i < 5; i++)
        {
            int b = stream.ReadByte();
            if (b < 0) throw new EndOfStreamException();
            result |= (long)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        return long.MaxValue;
    }

    private static MnistCnnException Invalid(string path, string problem) =>
        new(ModelsErrorIds.ModelWeightsInvalid, ErrorKind.InvalidData, $"{path} {problem}.", path);
}
