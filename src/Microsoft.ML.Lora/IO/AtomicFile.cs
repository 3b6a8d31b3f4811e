namespace Microsoft.ML.Lora.IO;

/// <summary>
/// Writes a file under a temporary name in the same folder, flushes it to disk, then renames it over the target: readers
/// (and a process killed mid-write) see either the old file or the new one, never half of one. Temporary files that a
/// killed process left behind are removed by the next write to the same path.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        TempFiles.RemoveAbandoned(full);
        var tmp = TempFiles.NameFor(full);
        try
        {
            bool flushed = false;
            using (var s = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(s);
                if (s.CanWrite) { s.Flush(flushToDisk: true); flushed = true; }
            }
            if (!flushed) FlushToDisk(tmp);
            // rename(2) within one folder: atomic, and the old file stays intact until it happens.
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static void WriteAllText(string path, string text)
        => Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });

    // A writer that disposes the stream it is given (some serialisers do) has already written everything; fsync the file
    // through a new handle so that a power cut after the rename cannot leave an empty file behind the new name.
    private static void FlushToDisk(string tmp)
    {
        using var f = new FileStream(tmp, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        f.Flush(flushToDisk: true);
    }
}
