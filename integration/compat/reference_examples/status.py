import requests
import json
url = "https://dev.b-key.kz/api/v1/session/status/"
headers = {
"x-api-key": "API_KEY"
}
params = {
"session_id": "<session_id>"
}
response = requests.get(url, headers=headers, params=params)
if response.status_code == 200:
    print("Session status:", response.json())
else:
    print("Error:", response.status_code, response.text)
