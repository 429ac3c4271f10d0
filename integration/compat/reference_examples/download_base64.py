# The reference's "Downloading the result" Python example for base64 format, as printed. Mends: the
# indentation the text lost.
import requests
import json
url = "https://dev.b-key.kz/api/v1/session/result/download/"
headers = {
"x-api-key": "API_KEY"
}
params = {
"session_id": "<session_id>",
"in_base64": True,
}
response = requests.get(url, headers=headers, params=params)
if response.status_code == 200:
    print("Session result:", response.json())
else:
    print("Error:", response.status_code, response.text)
