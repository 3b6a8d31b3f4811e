using Microsoft.ML.Lora.IO;

namespace Microsoft.ML;

/// <summary>
/// Saving model .zip files so that an existing file survives a crash: <c>mlContext.Model.SaveAtomically(model, schema, "model.zip")</c>.
/// </summary>
/// <remarks>
/// ML.NET's <c>mlContext.Model.Save(model, schema, path)</c> opens the path with <c>File.Create</c>, which empties the file
/// before the first byte of the new model is written: a process killed (or a disk that fills up) during the save leaves a
/// truncated zip that no longer loads, and the previous model is gone. ML.NET offers no hook before that truncation (the
/// transformers' save code only runs after it), so the path overload cannot be made safe from inside this library. These
/// overloads write the zip under a temporary name in the same folder, flush it to disk and rename it over the target:
/// whatever happens, the target file holds either the old model or the new one. Temporary files left by a
/// killed process are removed by the next save to the same path.
/// </remarks>
public static class AtomicModelSaving
{
    /// <summary>Like <c>Model.Save(model, inputSchema, filePath)</c>, but the file is replaced atomically (old or new model, never a damaged one).</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The trained model.</param>
    /// <param name="inputSchema">The schema of the model's input data (may be null).</param>
    /// <param name="filePath">The .zip to write; its folder is created when missing.</param>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        AtomicFile.Write(filePath, stream => catalog.Save(model, inputSchema, stream));
    }

    /// <summary>Like <c>Model.Save(model, loader, filePath)</c>, but the file is replaced atomically (old or new model, never a damaged one).</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The trained model.</param>
    /// <param name="loader">The loader that produced the model's input data.</param>
    /// <param name="filePath">The .zip to write; its folder is created when missing.</param>
    public static void SaveAtomically<TSource>(this ModelOperationsCatalog catalog, ITransformer model, IDataLoader<TSource> loader, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        AtomicFile.Write(filePath, stream => catalog.Save(model, loader, stream));
    }
}
