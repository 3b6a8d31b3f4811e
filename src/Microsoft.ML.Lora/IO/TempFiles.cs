using System.Diagnostics;
using System.Text;

namespace Microsoft.ML.Lora.IO;

/// <summary>
/// Names for temporary files and folders written next to their final path, stamped with the host and process that write
/// them (<c>{name}.{host}-{pid}.{guid}.tmp</c>), so that the leftovers of a killed process can be told apart from a live
/// write and removed by the next save or load.
/// </summary>
internal static class TempFiles
{
    private const string Suffix = ".tmp";
    private static readonly string Host = Sanitize(Environment.MachineName);

    /// <summary>A fresh temporary name beside <paramref name="fullPath"/> (same folder, so a rename replaces it atomically).</summary>
    public static string NameFor(string fullPath) => NameFor(fullPath, Environment.ProcessId);

    /// <summary>The temporary name process <paramref name="processId"/> of this host would use (tests make a dead process's leftovers).</summary>
    internal static string NameFor(string fullPath, int processId) => $"{fullPath}.{Host}-{processId}.{Guid.NewGuid():N}{Suffix}";

    /// <summary>
    /// Deletes the temporary files and folders of <paramref name="fullPath"/> that a process of this host left behind when
    /// it died (its id no longer runs), and those of any host untouched for <paramref name="staleAfter"/> (default a day).
    /// Never throws: cleanup must not mask the caller's own result.
    /// </summary>
    public static void RemoveAbandoned(string fullPath, TimeSpan? staleAfter = null)
    {
        var folder = Path.GetDirectoryName(fullPath);
        if (folder is null || !Directory.Exists(folder)) return;
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder, Path.GetFileName(fullPath) + ".*" + Suffix))
                if (IsAbandoned(entry, staleAfter ?? TimeSpan.FromDays(1))) TryDelete(entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>True when <paramref name="path"/> is one of our temporary names whose writer is gone.</summary>
    internal static bool IsAbandoned(string path, TimeSpan staleAfter)
    {
        // {name}.{host}-{pid}.{guid}.tmp: the stamp is the second-to-last dot-separated part before ".tmp".
        var parts = Path.GetFileName(path)[..^Suffix.Length].Split('.');
        if (parts.Length < 3) return false;
        var stamp = parts[^2];
        int dash = stamp.LastIndexOf('-');
        bool ours = dash > 0 && stamp[..dash] == Host && int.TryParse(stamp[(dash + 1)..], out int pid) && !IsRunning(pid);
        return ours || DateTime.UtcNow - LastWrite(path) > staleAfter;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static DateTime LastWrite(string path) => Directory.Exists(path) ? Directory.GetLastWriteTimeUtc(path) : File.GetLastWriteTimeUtc(path);

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static string Sanitize(string name)
    {
        var b = new StringBuilder(name.Length);
        foreach (char c in name) b.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        return b.Length == 0 ? "host" : b.ToString();
    }
}
