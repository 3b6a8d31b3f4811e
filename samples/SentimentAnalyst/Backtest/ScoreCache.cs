using System.Security.Cryptography;
using Samples.Common;

namespace SentimentAnalyst.Backtest;

/// <summary>
/// The tweets' scores kept beside the charts, so that a second back-test with the same model.zip (other windows, another
/// look at the figures) does not score 50,000 texts again. The file is named by the model's SHA-256: another model, even
/// one retrained with the same settings, never reads it. Written under a temporary name, then renamed.
/// </summary>
public sealed class ScoreCache
{
    private const int FormatVersion = 1;

    private readonly string modelHash;

    private ScoreCache(string path, string modelHash, Dictionary<string, TweetScores> scores)
    {
        Path = path;
        this.modelHash = modelHash;
        Scores = scores;
    }

    /// <summary>The cache file.</summary>
    public string Path { get; }

    /// <summary>Scores by text.</summary>
    public Dictionary<string, TweetScores> Scores { get; }

    /// <summary>The cache of <paramref name="modelPath"/>'s scores in <paramref name="folder"/>; empty when there is none yet.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a score cache (the message names it: delete it).</exception>
    public static ScoreCache Open(string folder, string modelPath)
    {
        string hash;
        using (var model = File.OpenRead(modelPath)) hash = Convert.ToHexStringLower(SHA256.HashData(model));
        string path = System.IO.Path.Combine(folder, $"scores-{hash[..16]}.bin");
        var scores = new Dictionary<string, TweetScores>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            try
            {
                using var reader = new BinaryReader(File.OpenRead(path));
                if (reader.ReadInt32() != FormatVersion || reader.ReadString() != hash) throw new InvalidDataException("wrong version or model hash");
                for (int i = reader.ReadInt32(); i > 0; i--) scores[reader.ReadString()] = new TweetScores(reader.ReadSingle(), reader.ReadSingle());
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or InvalidDataException)
            {
                throw new InvalidDataException($"{path} is not a readable score cache of {modelPath} ({e.Message}); delete it and run again.", e);
            }
        }
        return new ScoreCache(path, hash, scores);
    }

    /// <summary>Writes every score to the cache file.</summary>
    public void Save()
    {
        AtomicFile.Write(Path, tmp =>
        {
            using var writer = new BinaryWriter(File.Create(tmp));
            writer.Write(FormatVersion);
            writer.Write(modelHash);
            writer.Write(Scores.Count);
            foreach (var (text, s) in Scores)
            {
                writer.Write(text);
                writer.Write(s.Bullish);
                writer.Write(s.Bearish);
            }
        });
    }
}
