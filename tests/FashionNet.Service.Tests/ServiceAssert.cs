using System.Net;
using System.Net.Http.Json;

namespace FashionNet.Service.Tests;

internal static class ServiceAssert
{
    /// <summary>Asserts the status and that the one-line error names what it should; returns the message.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string messagePart)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var error = System.Text.Json.JsonSerializer.Deserialize<ErrorResponse>(body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        Assert.Equal((int)status, error.Status);
        Assert.True(error.Error.Contains(messagePart, StringComparison.Ordinal), $"'{messagePart}' not in: {error.Error}");
        Assert.DoesNotContain('\n', error.Error);
        return error.Error;
    }

    public static async Task<SearchResponse> SearchAsync(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<SearchResponse>())!;
    }

    /// <summary>Polls /readyz until <paramref name="condition"/> holds (the service's own count of running and waiting searches).</summary>
    public static async Task UntilAsync(HttpClient client, Func<ServiceStatus, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await client.GetAsync("/readyz");
            var status = await response.Content.ReadFromJsonAsync<ServiceStatus>();
            if (status is not null && condition(status)) return;
            Assert.True(DateTime.UtcNow < deadline, $"the service never reached the expected state; last: {status}");
            await Task.Delay(20);
        }
    }
}
