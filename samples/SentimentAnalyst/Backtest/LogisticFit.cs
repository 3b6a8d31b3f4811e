namespace SentimentAnalyst.Backtest;

/// <summary>
/// One-variable logistic regression, P(y = 1 | x) = σ(a + b·x), fitted by maximum likelihood (Newton's method; a
/// negligible ridge on b keeps separable data finite). With a single monotone input it is Platt scaling of the signal.
/// </summary>
public sealed record LogisticFit(double Intercept, double Slope)
{
    /// <summary>σ(a + b·x).</summary>
    public double Predict(double x) => 1 / (1 + Math.Exp(-(Intercept + Slope * x)));

    /// <summary>Fits <paramref name="y"/> on <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Sizes differ, fewer than 2 points, or a non-finite x.</exception>
    public static LogisticFit Fit(IReadOnlyList<double> x, IReadOnlyList<bool> y)
    {
        if (x.Count != y.Count || x.Count < 2) throw new ArgumentException($"Expected at least 2 paired points; got {x.Count} x and {y.Count} y.", nameof(y));
        if (x.Any(v => !double.IsFinite(v))) throw new ArgumentException("Every x must be finite.", nameof(x));
        int n = x.Count;
        double ridge = 1e-6 * n;
        double a = 0, b = 0;
        for (int iteration = 0; iteration < 100; iteration++)
        {
            // Gradient and Hessian of the negative log-likelihood (+ ridge/2 · b²).
            double ga = 0, gb = ridge * b, haa = 0, hab = 0, hbb = ridge;
            for (int i = 0; i < n; i++)
            {
                double p = 1 / (1 + Math.Exp(-(a + b * x[i])));
                double residual = p - (y[i] ? 1 : 0), w = p * (1 - p);
                ga += residual;
                gb += residual * x[i];
                haa += w;
                hab += w * x[i];
                hbb += w * x[i] * x[i];
            }
            double det = haa * hbb - hab * hab;
            if (!(det > 0)) break;
            double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if (Math.Abs(da) + Math.Abs(db) < 1e-10) break;
        }
        return new LogisticFit(a, b);
    }
}
