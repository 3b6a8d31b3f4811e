namespace Samples.Common;

/// <summary>
/// Where the public data sets live that the samples, the bench and the tests read by default: <c>../shared/data</c> beside
/// the repository (every development machine and CI has it there; its README names each set's source and license), or the
/// folder in <c>$LORA_DATA_DIR</c>. The repository holds no copy. Shared by the samples, the bench and the tests.
/// </summary>
public static class SharedData
{
    /// <summary>Environment variable naming another folder laid out like <c>../shared/data</c>.</summary>
    public const string FolderVariable = "LORA_DATA_DIR";

    /// <summary>
    /// The data folder: <c>$LORA_DATA_DIR</c>, else <c>../shared/data</c> beside the repository root (the folder holding
    /// build.props, found walking up from the program's folder, then from the current folder); null when neither is known.
    /// </summary>
    public static string? DefaultFolder()
    {
        if (Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } chosen) return Path.GetFullPath(chosen);
        return RepositoryRoot() is { } root ? Path.GetFullPath(Path.Combine(root, "..", "shared", "data")) : null;
    }

    /// <summary>The repository root: the nearest folder holding build.props above the program's folder or the current folder.</summary>
    public static string? RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "build.props"))) return dir.FullName;
        return null;
    }

    /// <summary>
    /// The path of <paramref name="file"/> in the data set folder <paramref name="dataSet"/> (e.g. "wnut17") under
    /// <paramref name="folder"/> (default: <see cref="DefaultFolder"/>).
    /// </summary>
    /// <param name="dataSet">The data set's folder name in ../shared/data.</param>
    /// <param name="file">The file in that folder.</param>
    /// <param name="folder">The data folder, or null for the default.</param>
    /// <param name="alternative">What the caller offers instead (e.g. "--data FILE"), named in the error.</param>
    /// <exception cref="FileNotFoundException">The file is not there; the message names the path and both ways to fix it.</exception>
    public static string PathOf(string dataSet, string file, string? folder = null, string? alternative = null)
    {
        folder ??= DefaultFolder();
        string instead = alternative is null ? $"set {FolderVariable}" : $"give {alternative}";
        if (folder is null)
            throw new FileNotFoundException($"The default data set {dataSet}/{file} is read from ../shared/data beside the repository, but no repository (a folder holding build.props) is above {AppContext.BaseDirectory} or the current folder: {instead}.");
        string path = Path.Combine(folder, dataSet, file);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Data file not found: {path}. The default data sets are read from ../shared/data beside the repository (its README says where each comes from); put the data there or {instead}.", path);
        return path;
    }
}
