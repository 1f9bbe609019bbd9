namespace FashionNet.Service;

/// <summary>The answer to <c>POST /api/search</c>.</summary>
/// <param name="Matches">The most similar gallery entries, best first.</param>
/// <param name="Landmarks">The query's predicted landmarks (empty for an embedder without a pose branch).</param>
/// <param name="Categories">The query's most probable categories (empty for an embedder without a category head).</param>
/// <param name="Image">The query photo's upright size.</param>
/// <param name="Timing">Where the time went.</param>
public sealed record SearchResponse(
    IReadOnlyList<SearchMatch> Matches, IReadOnlyList<LandmarkPoint> Landmarks, IReadOnlyList<CategoryGuess> Categories, PhotoSize Image, SearchTiming Timing);

/// <summary>One match.</summary>
/// <param name="Rank">1 for the best.</param>
/// <param name="Score">Cosine similarity to the query.</param>
/// <param name="ItemId">The matched entry's item.</param>
/// <param name="Entry">The matched entry's number in the index.</param>
/// <param name="ImageUrl">Where its photo is served; null when it is not (outside the gallery root).</param>
/// <param name="Category">Its category, from the gallery's folders; null when they do not say.</param>
public sealed record SearchMatch(int Rank, float Score, string ItemId, int Entry, string? ImageUrl, string? Category);

/// <summary>A predicted landmark, placed on the query photo.</summary>
/// <param name="Slot">The landmark (leftCollar .. rightHem).</param>
/// <param name="X">x as a fraction of the photo's width (0 left edge, 1 right edge).</param>
/// <param name="Y">y as a fraction of the photo's height (0 top edge, 1 bottom edge).</param>
/// <param name="Visibility">Predicted probability that it is visible.</param>
/// <param name="Visible">Whether that passes the model's threshold.</param>
public sealed record LandmarkPoint(string Slot, float X, float Y, float Visibility, bool Visible);

/// <summary>A predicted category.</summary>
/// <param name="Label">The model's 1-based category label.</param>
/// <param name="Probability">Its probability.</param>
public sealed record CategoryGuess(int Label, float Probability);

/// <summary>A photo's size in pixels.</summary>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public sealed record PhotoSize(int Width, int Height);

/// <summary>Milliseconds spent on a search.</summary>
/// <param name="TotalMs">From the request's arrival to the answer, waiting for a slot included.</param>
/// <param name="DecodeMs">Decoding and framing the photo.</param>
/// <param name="ModelMs">Waiting for and running the model's forward pass.</param>
/// <param name="SearchMs">Searching the index.</param>
/// <param name="BatchSize">How many photos shared the forward pass.</param>
public sealed record SearchTiming(double TotalMs, double DecodeMs, double ModelMs, double SearchMs, int BatchSize);

/// <summary>The answer to <c>GET /api/items/{itemId}</c>.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Images">Its gallery entries.</param>
public sealed record ItemResponse(string ItemId, IReadOnlyList<ItemImage> Images);

/// <summary>One gallery entry of an item.</summary>
/// <param name="Entry">The entry's number in the index.</param>
/// <param name="ImageUrl">Where its photo is served; null when it is not.</param>
/// <param name="Category">Its category, from the gallery's folders.</param>
public sealed record ItemImage(int Entry, string? ImageUrl, string? Category);

/// <summary>The answer to <c>GET /readyz</c>.</summary>
/// <param name="Status">loading, ready, failed or stopping.</param>
/// <param name="Entries">Gallery entries in the index (0 until loaded).</param>
/// <param name="Model">The embedder's fingerprint (empty until loaded).</param>
/// <param name="Error">Why loading failed, when it did.</param>
/// <param name="SearchesRunning">Searches running now.</param>
/// <param name="SearchesWaiting">Searches waiting for a slot now.</param>
/// <param name="MaxTop">The largest top a search may ask for.</param>
/// <param name="MaxRequestBytes">The largest request body.</param>
/// <param name="Categories">The gallery's categories, with their entry counts.</param>
public sealed record ServiceStatus(
    string Status, int Entries, string Model, string? Error, int SearchesRunning, int SearchesWaiting, int MaxTop, long MaxRequestBytes, IReadOnlyList<CategoryCount> Categories);

/// <summary>Every error answer: the status code again and one line saying what is wrong.</summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Error">What is wrong, naming the argument or limit.</param>
public sealed record ErrorResponse(int Status, string Error);
